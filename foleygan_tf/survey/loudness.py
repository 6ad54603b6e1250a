"""Loudness of the conditions of a clip: ITU-R BS.1770-4 integrated loudness, one level per clip.

**The measure** (:func:`integrated_loudness`, LUFS): the wave is resampled to 48 kHz and
K-weighted (the standard's two biquads at 48 kHz: a +4 dB high shelf above ≈ 1.5 kHz and a
high-pass below ≈ 60 Hz), cut into 400 ms blocks every 100 ms (a shorter wave is one block),
``−0.691 + 10 log10(mean square)`` per block; blocks under −70 LUFS are dropped (absolute gate),
then blocks more than 10 LU under the loudness of the rest (relative gate); the result is the
loudness of the mean square of the remaining blocks. A wave with no block above −70 LUFS is
silent (``-inf``).

**One level per clip** (:func:`clip_gains`): every condition of a clip (each model's track, the
reference, the anchor) is brought to the same integrated loudness, ``target`` (−23 LUFS, EBU
R 128) unless that would push some condition's sample peak above ``ceiling`` (−1 dBFS): then the
whole clip's level is lowered until the most peaky condition just fits. A silent condition keeps
its (zero) level. Unlike ``inference.postfilter.normalize_loudness`` (plain RMS per track, for
model rates without a K-weighting band), the conditions here are all at 44.1 kHz, so the
broadcast measure applies, and the level is shared, so no condition is louder than another.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["integrated_loudness", "sample_peak_dbfs", "clip_gains", "DEFAULT_TARGET_LUFS",
           "DEFAULT_CEILING_DBFS", "MEASURE"]

DEFAULT_TARGET_LUFS = -23.0     # EBU R 128 programme loudness
DEFAULT_CEILING_DBFS = -1.0     # sample peak after the gain (headroom for the AAC encoder)
MEASURE = "ITU-R BS.1770-4 integrated loudness (K-weighted, gated), LUFS"
_RATE = 48000
# BS.1770-4 K-weighting at 48 kHz: stage 1 (high shelf), stage 2 (RLB high-pass)
_SHELF = (np.array([1.53512485958697, -2.69169618940638, 1.19839281085285]),
          np.array([1.0, -1.69065929318241, 0.73248077421585]))
_HIGHPASS = (np.array([1.0, -2.0, 1.0]), np.array([1.0, -1.99004745483398, 0.99007225036621]))
_BLOCK, _STEP = 0.4, 0.1
_ABSOLUTE_GATE, _RELATIVE_GATE = -70.0, -10.0


def _lufs(mean_square):
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(mean_square)


def integrated_loudness(wave: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (LUFS) of a mono ``[N]`` wave (module docstring); ``-inf`` when silent."""
    from scipy.signal import lfilter

    from foleygan_tf.audio.io import resample

    wave = np.asarray(wave, np.float32)
    if wave.size == 0:
        return -math.inf
    x = resample(wave, sample_rate, _RATE).astype(np.float64)
    x = lfilter(*_HIGHPASS, lfilter(*_SHELF, x))
    block, step = int(_BLOCK * _RATE), int(_STEP * _RATE)
    if len(x) <= block:
        powers = np.array([np.mean(x * x)])
    else:
        starts = np.arange(0, len(x) - block + 1, step)
        cumulative = np.concatenate([[0.0], np.cumsum(x * x)])
        powers = (cumulative[starts + block] - cumulative[starts]) / block
    powers = powers[_lufs(powers) > _ABSOLUTE_GATE]
    if powers.size == 0:
        return -math.inf
    relative = _lufs(np.mean(powers)) + _RELATIVE_GATE
    powers = powers[_lufs(powers) > relative]
    return float(_lufs(np.mean(powers)))


def sample_peak_dbfs(wave: np.ndarray) -> float:
    peak = float(np.max(np.abs(wave))) if np.size(wave) else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def clip_gains(tracks: dict, sample_rate: int, target: float = DEFAULT_TARGET_LUFS,
               ceiling: float = DEFAULT_CEILING_DBFS) -> dict:
    """The gains that put every track of one clip at one loudness (module docstring).

    ``tracks``: ``{name: [N] wave}``. Returns ``{"level_lufs": the clip's level, "loudness":
    {name: LUFS before (None when silent)}, "gain_db": {name: dB}}``."""
    loudness = {name: integrated_loudness(w, sample_rate) for name, w in tracks.items()}
    level = float(target)
    for name, lufs in loudness.items():
        if math.isfinite(lufs):
            level = min(level, ceiling - sample_peak_dbfs(tracks[name]) + lufs)
    gains = {name: (level - lufs if math.isfinite(lufs) else 0.0) for name, lufs in loudness.items()}
    return {"level_lufs": level, "gain_db": gains,
            "loudness": {n: (v if math.isfinite(v) else None) for n, v in loudness.items()}}
