"""Audio: the spectrogram codec (waveform ↔ R×R×3 image, tf.signal) and audio file I/O."""

from foleygan_tf.audio.codec import PHASELESS, SpectrogramCodec
from foleygan_tf.audio.io import (
    AUDIO_EXTENSIONS,
    AudioFileError,
    fit_length,
    load_audio,
    load_clip,
    resample,
    tf_decode_audio_file,
    to_mono,
    write_wav,
)
from foleygan_tf.audio.test_signals import natural_test_signal

__all__ = [
    "AUDIO_EXTENSIONS", "AudioFileError", "PHASELESS", "SpectrogramCodec", "fit_length", "load_audio",
    "load_clip", "natural_test_signal", "resample", "tf_decode_audio_file", "to_mono", "write_wav",
]
