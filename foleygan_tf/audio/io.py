"""Audio file I/O: any common audio file or a video's audio track → mono float32 at a given rate.

* standalone audio files (wav, flac, ogg, mp3, aiff …): libsndfile (``soundfile``), PyAV fallback;
* audio tracks of videos (mp4, mov, mkv, webm, avi, m4a, aac …): PyAV (tensorflow-io cannot read
  AAC in MP4 on Linux);
* inside ``tf.data``: :func:`tf_decode_audio_file` decodes ogg/flac/wav with tensorflow-io kernels
  and resamples with ``tfio.audio.resample`` (the sample rate is read from the file header in-graph).

Every failure is a one-line :class:`AudioFileError` (a ``ValueError``) naming the file and the
problem. Multichannel audio is downmixed by averaging the channels; short clips are zero-padded by
:func:`fit_length`.
"""

from __future__ import annotations

import os

import numpy as np

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".au")


class AudioFileError(ValueError):
    """An unreadable or unusable audio/video file (message: ``<path>: <problem>``)."""

    def __init__(self, path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = str(path), problem


def to_mono(wave: np.ndarray) -> np.ndarray:
    """``[N]`` → ``[N]``; ``[N, C]`` (samples × channels, soundfile layout) → mean over channels."""
    wave = np.asarray(wave)
    if wave.ndim == 1:
        return wave.astype(np.float32, copy=False)
    if wave.ndim == 2:
        return wave.mean(axis=1).astype(np.float32)
    raise ValueError(f"audio must be [samples] or [samples, channels], got shape {wave.shape}")


def resample(wave: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Band-limited resampling of a mono ``[N]`` wave (soxr, high quality)."""
    if int(sr_in) <= 0 or int(sr_out) <= 0:
        raise ValueError(f"sample rates must be positive, got {sr_in} → {sr_out}")
    if int(sr_in) == int(sr_out):
        return np.asarray(wave, np.float32)
    import librosa

    return librosa.resample(np.asarray(wave, np.float32), orig_sr=int(sr_in), target_sr=int(sr_out),
                            res_type="soxr_hq").astype(np.float32)


def fit_length(wave: np.ndarray, n: int) -> np.ndarray:
    """Crop or zero-pad the last axis to ``n`` samples."""
    wave = np.asarray(wave, np.float32)
    if wave.shape[-1] >= n:
        return wave[..., :n]
    pad = [(0, 0)] * (wave.ndim - 1) + [(0, n - wave.shape[-1])]
    return np.pad(wave, pad)


def load_audio(path, sample_rate: int | None = None) -> tuple[np.ndarray, int] | np.ndarray:
    """Mono float32 samples of an audio file or of a video's first audio track.

    With ``sample_rate`` the wave is resampled and returned alone; without, ``(wave, rate)``.
    Raises :class:`AudioFileError` for a missing, empty, corrupt or silent-less (no audio track)
    file, and for NaN/inf samples.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioFileError(path, "no such file")
    if os.path.isdir(path):
        raise AudioFileError(path, "is a directory, not an audio or video file")
    if os.path.getsize(path) == 0:
        raise AudioFileError(path, "file is empty (0 bytes)")
    wave, rate = None, None
    if path.lower().endswith(AUDIO_EXTENSIONS):
        try:
            import soundfile

            data, rate = soundfile.read(path, dtype="float32", always_2d=True)
            wave = to_mono(data)
        except Exception:  # libsndfile cannot read every mp3/ogg flavour: PyAV below
            wave = None
    if wave is None:
        wave, rate = _read_with_pyav(path)
    if wave.size == 0:
        raise AudioFileError(path, "audio track has no samples")
    if not np.all(np.isfinite(wave)):
        raise AudioFileError(path, "audio contains NaN or inf samples")
    if sample_rate is None:
        return wave, int(rate)
    return resample(wave, rate, sample_rate)


def _read_with_pyav(path: str) -> tuple[np.ndarray, int]:
    import av

    try:
        container = av.open(path)
    except Exception as err:  # av.error.InvalidDataError and friends
        raise AudioFileError(path, f"not a readable audio/video file ({type(err).__name__})") from None
    with container:
        streams = container.streams.audio
        if not streams:
            raise AudioFileError(path, "has no audio track")
        stream = streams[0]
        rate = stream.rate or stream.codec_context.sample_rate
        # planar float in the stream's own layout, averaged here: FFmpeg's own mono downmix is a
        # weighted *sum* (stereo ×0.707 each, 5.1 up to ≈ 4× a channel's level), not the average
        resampler = av.AudioResampler(format="fltp", rate=rate)
        chunks = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().mean(axis=0))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().mean(axis=0))
        except av.error.FFmpegError as err:
            if not chunks:
                raise AudioFileError(path, f"audio track cannot be decoded ({err.__class__.__name__})") from None
            # A truncated file: keep what decoded (documented), the caller checks the length.
    wave = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return wave, int(rate)


def load_clip(path, audio_config, offset_seconds: float = 0.0) -> np.ndarray:
    """``audio_config.clip_samples`` mono samples at the preset rate, from ``offset_seconds`` on
    (zero-padded when the file is shorter)."""
    wave = load_audio(path, audio_config.sample_rate)
    start = int(round(offset_seconds * audio_config.sample_rate))
    return fit_length(wave[start:], audio_config.clip_samples)


def write_wav(path, wave: np.ndarray, sample_rate: int) -> None:
    """Write a mono float wave as 16-bit PCM WAV, atomically (temporary name, then rename)."""
    import soundfile

    wave = np.asarray(wave, np.float32)
    if wave.ndim != 1:
        raise ValueError(f"write_wav expects a mono [samples] wave, got shape {wave.shape}")
    if not np.all(np.isfinite(wave)):
        raise ValueError(f"{path}: refusing to write NaN/inf samples")
    from foleygan_tf.atomic import atomic_path

    with atomic_path(path) as tmp:
        try:
            open(tmp, "wb").close()
        except OSError as err:
            raise PermissionError(f"{path}: cannot write the WAV file ({err.strerror or err})") from None
        soundfile.write(tmp, np.clip(wave, -1.0, 1.0), int(sample_rate), subtype="PCM_16", format="WAV")


# ---- tf.data: tensorflow-io decoding --------------------------------------------------------

def _le_uint(contents, offset, size):
    import tensorflow as tf

    raw = tf.io.decode_raw(tf.strings.substr(contents, offset, size), tf.uint8)
    raw = tf.cast(raw, tf.int64)
    return tf.reduce_sum(raw * tf.bitwise.left_shift(tf.constant(1, tf.int64), 8 * tf.range(size, dtype=tf.int64)))


def _header_rate(contents):
    """Sample rate read from an OGG-Vorbis, FLAC or RIFF-WAV header, as an int64 scalar tensor."""
    import tensorflow as tf

    magic = tf.strings.substr(contents, 0, 4)

    def ogg():
        segments = _le_uint(contents, 26, 1)
        return _le_uint(contents, tf.cast(27 + segments + 12, tf.int32), 4)

    def flac():  # STREAMINFO: 20-bit big-endian rate at byte 18
        raw = tf.cast(tf.io.decode_raw(tf.strings.substr(contents, 18, 3), tf.uint8), tf.int64)
        return (raw[0] * 65536 + raw[1] * 256 + raw[2]) // 16

    def wav():
        return _le_uint(contents, 24, 4)

    return tf.case([(tf.equal(magic, "OggS"), ogg), (tf.equal(magic, "fLaC"), flac),
                    (tf.equal(magic, "RIFF"), wav)],
                   default=lambda: tf.constant(-1, tf.int64), exclusive=True)


_TFIO_RESAMPLE_DELAY = 32.0  # samples at the lower rate; see tf_decode_audio_file


def tf_decode_audio_file(path, sample_rate: int):
    """tf.data-friendly: ``path`` (string scalar tensor) of an ogg/flac/wav → mono float32 ``[N]``
    at ``sample_rate`` (tensorflow-io decode + ``tfio.audio.resample``)."""
    import tensorflow as tf
    import tensorflow_io as tfio

    contents = tf.io.read_file(path)
    magic = tf.strings.substr(contents, 0, 4)
    rate = _header_rate(contents)
    tf.debugging.assert_positive(rate, message="unsupported audio file (expected ogg, flac or wav)")

    def vorbis():
        return tfio.audio.decode_vorbis(contents)

    def flac():
        return tf.cast(tfio.audio.decode_flac(contents, dtype=tf.int16), tf.float32) / 32768.0

    def wav():
        return tf.cast(tfio.audio.decode_wav(contents, dtype=tf.int16), tf.float32) / 32768.0

    audio = tf.case([(tf.equal(magic, "OggS"), vorbis), (tf.equal(magic, "fLaC"), flac)], default=wav)
    mono = tf.reduce_mean(audio, axis=1, keepdims=True)

    def resampled():
        out = tfio.audio.resample(mono, rate, sample_rate)[:, 0]
        # tfio's resampling filter delays the signal by 32 samples at the lower of the two rates
        # (measured: an impulse at 0.5 s comes out 32 samples late at 48k→16k, 64 at 22.05k→44.1k);
        # sync is the point of FoleyGAN, so the delay is removed and the end zero-padded.
        delay = tf.cast(tf.round(_TFIO_RESAMPLE_DELAY * sample_rate / tf.minimum(
            tf.cast(rate, tf.float64), float(sample_rate))), tf.int32)
        return tf.pad(out[delay:], [[0, tf.minimum(delay, tf.size(out))]])

    return tf.cond(tf.equal(rate, sample_rate), lambda: mono[:, 0], resampled)
