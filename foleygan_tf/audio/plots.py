"""Matplotlib figures of spectrogram images (time on x, frequency on y, like the paper's figures)."""

from __future__ import annotations

import os

import numpy as np


def plot_image_channels(image: np.ndarray, path: str, title: str = "", sample_rate: int | None = None,
                        clip_seconds: float | None = None) -> str:
    """Save a PNG of the three channels of one ``[R, R, 3]`` image; returns ``path``."""
    # A pyplot-free Figure: no global backend switch (which would blank a notebook's inline plots)
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
    tmp = f"{path}.tmp-{os.getpid()}.png"
    fig.savefig(tmp, dpi=90)
    os.replace(tmp, path)
    return path
