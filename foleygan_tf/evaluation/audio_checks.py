"""Cheap sanity numbers for generated audio: loudness and spectral flatness (numpy).

Spectral flatness = geometric / arithmetic mean of the power spectrum per frame (averaged over
frames with energy): ≈ 0.56 for Gaussian white noise with a Hann-windowed periodogram, → 0 for
tonal or strongly shaped spectra. Used to tell "structured sound" from "silence" or "noise only".
"""

from __future__ import annotations

import numpy as np

from foleygan_tf.audio.onsets import SILENCE_RMS   # a quieter wave has no onsets: "silent" here too


def rms(wave) -> float:
    w = np.asarray(wave, np.float64)
    return float(np.sqrt(np.mean(w ** 2))) if w.size else 0.0


def spectral_flatness(wave, frame_length: int = 128, hop: int = 32, band: float | None = None) -> float:
    """Mean spectral flatness over frames whose energy exceeds 1e-3 of the loudest frame.

    ``band``: only the FFT bins from 1 (DC left out) up to ``band`` × Nyquist. The generator's
    low-pass post-filter (0.75 × Nyquist) has a −74 dB stop band that alone drives the full-band
    flatness of *any* signal to ≈ 0 (white noise 0.57 → 0.02), so filtered and unfiltered audio are
    compared on the pass band."""
    w = np.asarray(wave, np.float64)
    if w.size < frame_length:
        raise ValueError(f"need at least {frame_length} samples, got {w.size}")
    frames = np.lib.stride_tricks.sliding_window_view(w, frame_length)[::hop] * np.hanning(frame_length)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-20
    if band is not None:
        power = power[:, 1:max(2, int(np.floor(band * (power.shape[1] - 1))) + 1)]
    energy = power.sum(axis=1)
    keep = energy > 1e-3 * energy.max()
    gmean = np.exp(np.mean(np.log(power[keep]), axis=1))
    return float(np.mean(gmean / power[keep].mean(axis=1)))


def describe_audio(wave) -> dict:
    level = rms(wave)
    return {"rms": level, "silent": level < SILENCE_RMS,
            "spectral_flatness": spectral_flatness(wave) if level >= SILENCE_RMS else float("nan")}
