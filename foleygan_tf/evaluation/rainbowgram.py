"""Rainbowgrams (paper §VI-F, Fig. 6; Engel et al. 2017) and spectrogram grids as PNGs (matplotlib, Agg).

A rainbowgram shows a waveform's STFT with **brightness = log magnitude** (dB, the top
``db_range`` dB mapped to [0, 1], black below) and **colour = instantaneous frequency**: the
time derivative of the phase unwrapped along time, ``diff(unwrap(∠X, time)) / π`` in [-1, 1]
(GANSynth's ``instantaneous_frequency``), through the ``rainbow`` colour map. Steady harmonics give
constant-colour lines; phase discontinuities show up as colour flecks.
"""

from __future__ import annotations

import numpy as np

__all__ = ["rainbowgram", "plot_rainbowgrams", "plot_spectrogram_grid", "log_magnitude"]

DB_RANGE = 80.0


def _stft(wave, frame_length: int, frame_step: int) -> np.ndarray:
    """Complex STFT ``[frames, frame_length // 2 + 1]`` (periodic Hann, no padding) of ``[N]``."""
    w = np.asarray(wave, np.float64).reshape(-1)
    if len(w) < frame_length:
        w = np.pad(w, (0, frame_length - len(w)))
    frames = np.lib.stride_tricks.sliding_window_view(w, frame_length)[::frame_step]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame_length) / frame_length)
    return np.fft.rfft(frames * window, axis=1)


def log_magnitude(wave, frame_length: int, frame_step: int, db_range: float = DB_RANGE) -> np.ndarray:
    """``[freq, frames]`` log magnitude in [0, 1] (0 = ``db_range`` dB below the clip's peak or less)."""
    mag = np.abs(_stft(wave, frame_length, frame_step)).T
    db = 20 * np.log10(np.maximum(mag, 1e-12))
    return np.clip((db - (db.max() - db_range)) / db_range, 0.0, 1.0)


def rainbowgram(wave, frame_length: int, frame_step: int, db_range: float = DB_RANGE, cmap: str = "rainbow"):
    """RGB image ``[freq, frames, 3]`` in [0, 1] of a mono wave ``[N]`` (module docstring)."""
    import matplotlib

    x = _stft(wave, frame_length, frame_step).T                      # [F, T]
    phase = np.unwrap(np.angle(x), axis=1)
    inst_freq = np.concatenate([phase[:, :1] * 0, np.diff(phase, axis=1)], axis=1) / np.pi  # [-1, 1]
    db = 20 * np.log10(np.maximum(np.abs(x), 1e-12))
    brightness = np.clip((db - (db.max() - db_range)) / db_range, 0.0, 1.0)
    colour = matplotlib.colormaps[cmap]((inst_freq + 1.0) / 2.0)[..., :3]
    return colour * brightness[..., None]


def _save(fig, path: str) -> None:
    from foleygan_tf.atomic import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)


def _grid(path, rows, columns, images, sample_rate, seconds, freq_max, title, cmap=None):
    from matplotlib.figure import Figure  # pyplot-free: no global backend switch

    n_r, n_c = len(rows), len(columns)
    fig = Figure(figsize=(2.3 * n_c + 0.8, 1.5 * n_r + 0.8))
    axes = fig.subplots(n_r, n_c, squeeze=False)
    for i in range(n_r):
        for j in range(n_c):
            ax = axes[i, j]
            img = images[i][j]
            if img is None:
                ax.axis("off")
                continue
            ax.imshow(img, origin="lower", aspect="auto", cmap=cmap, extent=(0, seconds, 0, freq_max),
                      interpolation="nearest", **({"vmin": 0, "vmax": 1} if cmap else {}))
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(columns[j], fontsize=8)
            if j == 0:
                ax.set_ylabel(rows[i], fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()))
    _save(fig, path)


def plot_rainbowgrams(path: str, waves, row_names, column_names, sample_rate: int, frame_length: int,
                      frame_step: int, title: str = "") -> None:
    """PNG grid of rainbowgrams (Fig. 6): ``waves[i][j]`` = wave ``[N]`` (or ``None``) of row ``i``
    (e.g. a class) and column ``j`` (real, then each model). Time → right, frequency ↑."""
    images = [[None if w is None else rainbowgram(w, frame_length, frame_step) for w in row] for row in waves]
    seconds = max(len(w) for row in waves for w in row if w is not None) / sample_rate
    _grid(path, row_names, column_names, images, sample_rate, seconds, sample_rate / 2,
          title or "rainbowgrams: brightness = log magnitude, colour = instantaneous frequency")


def plot_spectrogram_grid(path: str, waves, row_names, column_names, sample_rate: int, frame_length: int,
                          frame_step: int, title: str = "") -> None:
    """PNG grid of log-magnitude spectrograms (``magma``), same layout as :func:`plot_rainbowgrams`."""
    images = [[None if w is None else log_magnitude(w, frame_length, frame_step) for w in row] for row in waves]
    seconds = max(len(w) for row in waves for w in row if w is not None) / sample_rate
    _grid(path, row_names, column_names, images, sample_rate, seconds, sample_rate / 2,
          title or "log-magnitude spectrograms", cmap="magma")
