"""Post-processing of generated audio: the paper's length-512 filter and loudness normalisation.

numpy only (no TensorFlow): the SavedModel export bakes :func:`lowpass_taps` into its graph
(``generator_export``), and :class:`~foleygan_tf.inference.pipeline.FoleyPipeline` normalises the
loudness of the assembled track with :func:`normalize_loudness`.

**The filter** (paper §V-B: "we add post-processing filter of 512 length to the generator output
for lowering the noisy artifacts of generated spectrogram samples" — nothing more is said). Our
reading: a 512-tap FIR on the generated waveform. We use a linear-phase low-pass — a
Blackman-windowed sinc, cut-off 0.75 × Nyquist by default (16.5 kHz at 44.1 kHz), unit gain at DC
— applied with its group delay removed, so events stay where G put them (sync is the point).
Windowed-sinc with a Blackman window: ≈ −74 dB stop band, transition ≈ 5.5/L × sample rate
(≈ 470 Hz at L = 512, 44.1 kHz). Switchable at export time (``post_filter="none"``).

**Loudness**: RMS normalisation to ``target_dbfs`` (default −20 dBFS) followed by a peak ceiling
(default −1 dBFS: the gain is lowered if the peak would exceed it). A (near-)silent track
(RMS < 1e-6) is returned unchanged. Plain RMS rather than ITU-R BS.1770 LUFS because the reduced
presets' sample rates (689 Hz at ``tiny``) have no K-weighting band to speak of.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lowpass_taps", "apply_fir", "normalize_loudness", "POST_FILTERS", "DEFAULT_CUTOFF"]

POST_FILTERS = ("lowpass", "none")
DEFAULT_CUTOFF = 0.75
SILENCE_RMS = 1e-6


def lowpass_taps(length: int, cutoff: float = DEFAULT_CUTOFF) -> np.ndarray:
    """``length`` taps of a linear-phase low-pass FIR: Blackman-windowed sinc, cut-off ``cutoff`` ×
    Nyquist (0 < cutoff ≤ 1), normalised to unit gain at DC. float32 ``[length]``."""
    length, cutoff = int(length), float(cutoff)
    if length < 1:
        raise ValueError(f"post-filter length must be ≥ 1, got {length}")
    if not 0.0 < cutoff <= 1.0:
        raise ValueError(f"post-filter cut-off must be in (0, 1] × Nyquist, got {cutoff}")
    if length == 1:
        return np.ones(1, np.float32)
    n = np.arange(length, dtype=np.float64) - (length - 1) / 2.0
    taps = cutoff * np.sinc(cutoff * n) * np.blackman(length)
    return (taps / taps.sum()).astype(np.float32)


def apply_fir(wave: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Delay-compensated ("same", zero-padded) FIR filtering of ``[..., N]`` waves — the numpy
    twin of the graph filter (left pad ``(L − 1) // 2``, right pad the rest)."""
    wave = np.asarray(wave, np.float32)
    taps = np.asarray(taps, np.float32)
    left = (len(taps) - 1) // 2
    pad = [(0, 0)] * (wave.ndim - 1) + [(left, len(taps) - 1 - left)]
    padded = np.pad(wave, pad)
    flat = padded.reshape(-1, padded.shape[-1])
    out = np.stack([np.correlate(row, taps, mode="valid") for row in flat])
    return out.reshape(wave.shape).astype(np.float32)


def normalize_loudness(wave: np.ndarray, target_dbfs: float = -20.0, peak_dbfs: float = -1.0) -> np.ndarray:
    """RMS → ``target_dbfs`` with the peak kept ≤ ``peak_dbfs`` (module docstring). ``[N]`` float32."""
    wave = np.asarray(wave, np.float32)
    rms = float(np.sqrt(np.mean(np.square(wave, dtype=np.float64)))) if wave.size else 0.0
    if rms < SILENCE_RMS:
        return wave.copy()
    gain = 10.0 ** (target_dbfs / 20.0) / rms
    peak = float(np.max(np.abs(wave)))
    gain = min(gain, 10.0 ** (peak_dbfs / 20.0) / peak)
    return (wave * gain).astype(np.float32)
