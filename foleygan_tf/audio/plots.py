"""Matplotlib figures of spectrogram images (time on x, frequency on y, like the paper's figures)."""

from __future__ import annotations

import os

import numpy as np


def plot_image_channels(image: np.ndarray, path: str, title: str = "", sample_rate: int | None = None,
                        clip_seconds: float | None = None) -> str:
    """Save a PNG of the three channels of one ``[R, R, 3]`` image; returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ("ch0: magnitude", "ch1: phase / IF", "ch2: padding")
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
    extent = None
    if sample_rate and clip_seconds:
        extent = (0, clip_seconds, 0, 1.0)  # rows are linear or mel-spaced per encoding
    for k, ax in enumerate(axes):
        im = ax.imshow(np.asarray(image)[..., k].T, origin="lower", aspect="auto", vmin=-1, vmax=1,
                       cmap="magma" if k == 0 else "twilight", extent=extent)
        ax.set_title(names[k])
        ax.set_xlabel("time (s)" if extent else "time frame")
        ax.set_ylabel("frequency row (0 = DC, 1 = top; mel-spaced for lms/ms)")
        fig.colorbar(im, ax=ax, shrink=0.8)
    if title:
        fig.suptitle(title)
    tmp = f"{path}.tmp-{os.getpid()}.png"
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, path)
    return path
