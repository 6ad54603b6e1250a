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
                     nfft: int = 1024, hop: int = 256) -> str:
    """PNG of the log-magnitude spectrogram of ``wave`` [N] with P_act (right axis, 0–1) drawn
    over it at ``p_times`` (s); returns ``path``."""
    from matplotlib.figure import Figure

    wave = np.asarray(wave, np.float32)
    fig = Figure(figsize=(9, 3.6), dpi=100)
    ax = fig.subplots()
    nfft = int(min(nfft, max(16, len(wave))))
    ax.specgram(wave, NFFT=nfft, Fs=sample_rate, noverlap=max(0, nfft - hop), cmap="magma",
                scale="dB", vmin=-120)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_xlim(0, len(wave) / sample_rate)
    twin = ax.twinx()
    twin.plot(p_times, p_act, color="cyan", lw=1.5, label="P_act")
    twin.set_ylim(0, 1.02)
    twin.set_ylabel("P_act (predicted action)")
    twin.legend(loc="upper right", fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)
