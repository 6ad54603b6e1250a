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


def round_trip_files(codec, wave: np.ndarray, wav_path: str, png_path: str | None = None, title: str = "",
                     clip_seconds: float | None = None) -> dict:
    """:func:`round_trip_report` of ``wave`` through ``codec``, writing the decoded wave to
    ``wav_path`` and (optionally) the image's channels to ``png_path``."""
    from foleygan_tf.audio import write_wav
    from foleygan_tf.audio.plots import plot_image_channels

    report = round_trip_report(codec, wave)
    write_wav(wav_path, report["decoded"], codec.sample_rate)
    if png_path:
        plot_image_channels(report["image"], png_path, title, codec.sample_rate, clip_seconds)
    return report


def codec_file_round_trip(input_path: str, output_path: str, audio_config, encoding: str | None = None,
                          offset: float = 0.0, png_path: str | None = None) -> dict:
    """``foleygan codec``: one clip of an audio or video file (from ``offset`` s) through the
    codec, decoded to ``output_path`` (and the image to ``png_path``); returns the report."""
    import os

    from foleygan_tf.audio import SpectrogramCodec, load_clip

    if os.path.abspath(output_path) == os.path.abspath(input_path):
        raise ValueError(f"{output_path}: refusing to overwrite the input")
    wave = load_clip(input_path, audio_config, offset)
    codec = SpectrogramCodec(audio_config, encoding)
    report = round_trip_files(codec, wave, output_path, png_path, f"{input_path} — {codec.encoding}",
                              audio_config.clip_seconds)
    return {**report, "encoding": codec.encoding}


def codec_demo(preset: str, out_dir: str, seed: int = 0, progress: bool = True) -> dict:
    """``foleygan demo --codec``: a natural-sounding test clip through every encoding of Table III
    at ``preset`` — ``OUT_DIR/input.wav``, ``decoded_<encoding>.wav``, ``image_<encoding>.png`` and
    ``summary.json``. Returns the summary ``{"preset", "image_size", "sample_rate", "round_trip":
    {encoding: {snr_db, spectral_convergence, image_min, image_max}}}``."""
    import os

    from foleygan_tf.atomic import write_json
    from foleygan_tf.audio import SpectrogramCodec, natural_test_signal, write_wav
    from foleygan_tf.config import ENCODINGS, get_preset
    from foleygan_tf.progress import progress as progress_bar

    cfg = get_preset(preset)
    os.makedirs(out_dir, exist_ok=True)
    wave = natural_test_signal(cfg.audio.sample_rate, cfg.audio.clip_seconds, seed)
    write_wav(os.path.join(out_dir, "input.wav"), wave, cfg.audio.sample_rate)
    summary = {}
    for encoding in progress_bar(ENCODINGS, desc="encodings", unit="enc", enabled=progress):
        report = round_trip_files(SpectrogramCodec(cfg.audio, encoding), wave,
                                  os.path.join(out_dir, f"decoded_{encoding}.wav"),
                                  os.path.join(out_dir, f"image_{encoding}.png"), f"{encoding} — preset {cfg.name}",
                                  cfg.audio.clip_seconds)
        summary[encoding] = {k: round(report[k], 4) for k in ("snr_db", "spectral_convergence", "image_min", "image_max")}
    result = {"preset": cfg.name, "image_size": cfg.audio.image_size, "sample_rate": cfg.audio.sample_rate,
              "round_trip": summary}
    write_json(os.path.join(out_dir, "summary.json"), result, indent=2)
    return result
