"""Matplotlib figures of spectrograms (time on x, frequency on y, like the paper's figures).

Figures are pyplot-free (``matplotlib.figure.Figure``): no global backend switch, which would blank
a notebook's inline plots. PNGs are written atomically (``foleygan_tf.atomic``).
"""

from __future__ import annotations

import numpy as np


def save_figure(fig, path: str, dpi: int = 100) -> str:
    """Write ``fig`` as a PNG to ``path`` atomically; returns ``path``."""
    from foleygan_tf.atomic import atomic_path

    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi)
    return path


def plot_image_channels(image: np.ndarray, path: str, title: str = "", sample_rate: int | None = None,
                        clip_seconds: float | None = None) -> str:
    """Save a PNG of the three channels of one ``[R, R, 3]`` image; returns ``path``."""
    from matplotlib.figure import Figure

    names = ("ch0: magnitude", "ch1: phase / IF", "ch2: padding")
    fig = Figure(figsize=(13, 4), layout="constrained")
    axes = fig.subplots(1, 3)
    extent = None
    if sample_rate and clip_seconds:
        # Column j is the STFT frame centred at (j·hop + frame/2)/sr. Every preset keeps the paper
        # geometry R = FFT/2 = frame/2 = 2·hop (config.AudioConfig), so hop = R/2 and frame = 2R:
        # column j spans [(j + 1.5)·hop, (j + 2.5)·hop)/sr. Rows are linear or mel-spaced per encoding.
        hop = np.asarray(image).shape[0] / 2 / sample_rate
        extent = (1.5 * hop, (np.asarray(image).shape[0] + 1.5) * hop, 0, 1.0)
    for k, ax in enumerate(axes):
        im = ax.imshow(np.asarray(image)[..., k].T, origin="lower", aspect="auto", vmin=-1, vmax=1,
                       cmap="magma" if k == 0 else "twilight", extent=extent)
        ax.set_title(names[k])
        if extent:
            ax.set_xlim(0, clip_seconds)
        ax.set_xlabel("time (s)" if extent else "time frame")
        ax.set_ylabel("frequency row (0 = DC, 1 = top; mel-spaced for lms/ms)")
        fig.colorbar(im, ax=ax, shrink=0.8)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path, dpi=90)


def plot_spectrogram(path: str, wave: np.ndarray, sample_rate: int, p_times, p_act, *, title: str = "",
                     nfft: int = 1024, hop: int = 256, segments=None) -> str:
    """PNG of the log-magnitude spectrogram of ``wave`` [N] with P_act (right axis, 0–1) drawn
    over it at ``p_times`` (s); with ``segments`` (``[(start_s, end_s, label), …]``) a band under
    it shows the class timeline, one coloured span per segment labelled with its class. Returns
    ``path``."""
    from matplotlib.figure import Figure

    wave = np.asarray(wave, np.float32)
    seconds = len(wave) / sample_rate
    fig = Figure(figsize=(9, 4.1 if segments else 3.6), dpi=100)
    if segments:
        ax, band = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [7, 1]})
    else:
        ax, band = fig.subplots(), None
    nfft = int(min(nfft, max(16, len(wave))))
    ax.specgram(wave, NFFT=nfft, Fs=sample_rate, noverlap=max(0, nfft - hop), cmap="magma",
                scale="dB", vmin=-120)
    ax.set_ylabel("frequency (Hz)")
    ax.set_xlim(0, seconds)
    twin = ax.twinx()
    twin.plot(p_times, p_act, color="cyan", lw=1.5, label="P_act")
    twin.set_ylim(0, 1.02)
    twin.set_ylabel("P_act (predicted action)")
    twin.legend(loc="upper right", fontsize=8)
    ax.set_title(title, fontsize=9)
    if band is not None:
        _class_band(band, segments, seconds)
    (band if band is not None else ax).set_xlabel("time (s)")
    fig.tight_layout()
    return save_figure(fig, path)


def _class_band(ax, segments, seconds: float) -> None:
    """One coloured span per ``(start_s, end_s, label)``, the label written in it; a colour per label."""
    from matplotlib import colormaps

    colours = colormaps["tab20"]
    labels = list(dict.fromkeys(label for _, _, label in segments))
    for start, end, label in segments:
        start, end = max(0.0, float(start)), min(seconds, float(end))
        ax.axvspan(start, end, color=colours(labels.index(label) % 20), alpha=0.9)
        ax.text((start + end) / 2, 0.5, label, ha="center", va="center", fontsize=8, clip_on=True)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_ylabel("class", rotation=0, ha="right", va="center", fontsize=8)
