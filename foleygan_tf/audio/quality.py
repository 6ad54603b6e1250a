"""Round-trip quality numbers for the codec (numpy)."""

from __future__ import annotations

import numpy as np


def interior(wave: np.ndarray, edge: int) -> np.ndarray:
    """The clip without ``edge`` samples at each end (where the first/last frames lack overlap)."""
    return np.asarray(wave)[..., edge: np.shape(wave)[-1] - edge]


def snr_db(reference: np.ndarray, estimate: np.ndarray, edge: int = 0) -> float:
    """Waveform signal-to-noise ratio in dB over the interior."""
    ref, est = interior(reference, edge), interior(estimate, edge)
    noise = np.sum((ref - est) ** 2)
    return float("inf") if noise == 0 else float(10.0 * np.log10(np.sum(ref ** 2) / noise))


def spectral_convergence(reference_magnitude: np.ndarray, estimate_magnitude: np.ndarray) -> float:
    """‖|S| − |Ŝ|‖_F / ‖|S|‖_F (0 = identical magnitudes; phase-insensitive)."""
    ref = np.asarray(reference_magnitude, np.float64)
    est = np.asarray(estimate_magnitude, np.float64)
    return float(np.linalg.norm(ref - est) / np.linalg.norm(ref))


def round_trip_report(codec, wave: np.ndarray) -> dict:
    """Encode → decode ``wave`` [N] with ``codec``; SNR (dB) and spectral convergence of the STFT."""
    import tensorflow as tf

    wave = np.asarray(wave, np.float32)[: codec.clip_samples]
    image = codec.encode(wave)
    decoded = codec.decode(image).numpy()
    reference = np.pad(wave, (0, codec.clip_samples - wave.size))
    mags = [np.abs(codec.stft(tf.constant(w[None])).numpy()) for w in (reference, decoded)]
    return {
        "encoding": codec.encoding,
        "snr_db": snr_db(reference, decoded, edge=codec.frame_length),
        "spectral_convergence": spectral_convergence(*mags),
        "image_min": float(np.min(image)),
        "image_max": float(np.max(image)),
        "decoded": decoded,
        "image": image.numpy(),
    }
