"""Audio: the spectrogram codec (waveform ↔ R×R×3 image, tf.signal) and audio file I/O.

Names are imported lazily: the file I/O helpers do not need TensorFlow, so worker processes that
only decode files (``prepare``, ``synth-data``) never pay for importing it.
"""

from foleygan_tf._lazy import lazy_exports

_EXPORTS = {
    "SpectrogramCodec": "codec", "PHASELESS": "codec",
    "AUDIO_EXTENSIONS": "io", "AudioFileError": "io", "fit_length": "io", "load_audio": "io",
    "load_clip": "io", "resample": "io", "tf_decode_audio_file": "io", "to_mono": "io", "write_wav": "io",
    "natural_test_signal": "test_signals",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
