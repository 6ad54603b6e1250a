"""Natural-sounding test clips: noise bursts, chirps, impulses through resonances (numpy).

Used by the codec tests, the demo and the notebooks: broadband and transient like Foley sounds,
with a spectrum that falls with frequency as recordings do (not a pure sine).
"""

from __future__ import annotations

import numpy as np


def natural_test_signal(sample_rate: int, seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    """A float32 ``[round(sample_rate·seconds)]`` clip peaking at 0.9."""
    rng = np.random.default_rng(seed)
    n = int(round(sample_rate * seconds))
    t = np.arange(n) / sample_rate
    nyquist = sample_rate / 2.0
    out = np.zeros(n, np.float64)

    # Pink-ish noise bursts with smooth attack/decay envelopes.
    for _ in range(4):
        start = rng.uniform(0.0, seconds - 0.6)
        length = rng.uniform(0.15, 0.5)
        env = np.clip((t - start) / 0.02, 0, 1) * np.exp(-np.clip(t - start, 0, None) / length) * (t >= start)
        out += 0.3 * env * _pink_noise(n, rng)

    # Chirps sweeping through the lower half of the band.
    for _ in range(2):
        start = rng.uniform(0.0, seconds - 1.0)
        dur = rng.uniform(0.4, 0.9)
        f0, f1 = rng.uniform(0.02, 0.1) * nyquist, rng.uniform(0.2, 0.45) * nyquist
        local = np.clip(t - start, 0, dur)
        phase = 2 * np.pi * (f0 * local + (f1 - f0) * local ** 2 / (2 * dur))
        window = ((t >= start) & (t <= start + dur)) * np.sin(np.pi * local / dur) ** 2
        out += 0.25 * window * np.sin(phase)

    # Impulses exciting decaying resonances (knocks, ticks).
    for _ in range(6):
        start = int(rng.uniform(0.05, seconds - 0.2) * sample_rate)
        freq = rng.uniform(0.03, 0.3) * nyquist
        decay = rng.uniform(0.01, 0.08)
        tt = np.arange(n - start) / sample_rate
        out[start:] += 0.5 * np.exp(-tt / decay) * np.sin(2 * np.pi * freq * tt)

    return (0.9 * out / np.max(np.abs(out))).astype(np.float32)


def _pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(spectrum.size)
    spectrum /= np.sqrt(np.maximum(freqs, 1.0))
    noise = np.fft.irfft(spectrum, n)
    return noise / np.max(np.abs(noise))
