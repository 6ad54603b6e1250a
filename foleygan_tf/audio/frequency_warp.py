"""Mel warping of the linear STFT frequency axis and its inverse (numpy, built once per codec).

The image keeps R frequency rows whatever the encoding, so the mel warp maps the R linear bins
(DC … Nyquist − one bin) onto R mel-spaced bins spanning the same band (paper §IV-B-1 "mel-filter
bank"; the paper gives no edges or count — see docs/ARCHITECTURE.md "Encodings").

Each mel bin is a triangular weighting of the linear bins around its centre frequency, normalised to
sum 1 — a weighted *average*, so the same matrix warps power and unwrapped phase alike (as
GANSynth's IF-Mel does). Triangles are never narrower than one linear bin: where mel bins are denser
than linear bins (low frequencies) the warp is a linear interpolation and loses nothing; where they
are sparser (high frequencies) it averages and is lossy. The inverse is the Moore–Penrose
pseudo-inverse, exact on the interpolated part and least-squares on the averaged part.
"""

from __future__ import annotations

import numpy as np

PINV_RCOND = 1e-4  # singular values below 1e-4·σ_max are treated as zero (the warp has rank < R)


def hz_to_mel(hz):
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def linear_to_mel_matrix(sample_rate: int, fft_length: int, num_bins: int, low_hz: float = 0.0) -> np.ndarray:
    """Warp matrix ``W`` [num_bins linear, num_bins mel]: ``mel = linear @ W``.

    Linear bin k sits at ``k · sample_rate / fft_length`` (k < num_bins, Nyquist dropped). Columns
    sum to 1.
    """
    bin_hz = sample_rate / fft_length
    linear_hz = np.arange(num_bins) * bin_hz
    centres = mel_to_hz(np.linspace(hz_to_mel(low_hz), hz_to_mel(linear_hz[-1]), num_bins))
    warp = np.zeros((num_bins, num_bins), dtype=np.float64)
    for m, centre in enumerate(centres):
        left = centres[m - 1] if m > 0 else centre - bin_hz
        right = centres[m + 1] if m < num_bins - 1 else centre + bin_hz
        left, right = min(left, centre - bin_hz), max(right, centre + bin_hz)
        rising = (linear_hz - left) / (centre - left)
        falling = (right - linear_hz) / (right - centre)
        weights = np.clip(np.minimum(rising, falling), 0.0, None)
        warp[:, m] = weights / weights.sum()
    return warp


def mel_to_linear_matrix(warp: np.ndarray) -> np.ndarray:
    """Pseudo-inverse ``P`` of :func:`linear_to_mel_matrix`: ``linear ≈ mel @ P``."""
    return np.linalg.pinv(warp, rcond=PINV_RCOND)
