"""Action spectrogram S_act (paper §IV-A-2, Fig. 4; Algorithm 1 line 4).

The 2TRN gives ``P_act(t)``: one probability per consecutive frame pair at the video's frame rate.
FoleyGAN turns this time series into a spectrogram image "shaped exactly like a sound spectrogram"
that guides the generator. The paper gives no resampling rule; ours (docs/trn.md) is:

1. **Pair → time.** Frame ``i`` is shown at ``i / fps`` (its presentation time, first frame at 0),
   so pair ``t`` = (frame t, frame t+1) sits at the midpoint ``τ_t = (t + 0.5) / fps``.
2. **Onto the audio timeline.** The clip's audio has ``N = audio.clip_samples`` samples at
   ``sr = audio.sample_rate``; sample ``n`` is at ``s_n = start_time + n / sr``. Its value is the
   linear interpolation of ``P_act`` at ``s_n``:
   ``u = s_n · fps − 0.5`` (fractional pair index), clamped to ``[0, L − 1]`` (``L`` = valid
   pairs), ``p(n) = (1 − (u − ⌊u⌋)) · P[⌊u⌋] + (u − ⌊u⌋) · P[min(⌊u⌋ + 1, L − 1)]`` — i.e. held
   at the first/last pair value before ``τ_0`` and after ``τ_{L−1}`` — and ``p(n) = 0`` once the
   video has ended (``s_n ≥ (L + 1) / fps``, the end of its last frame), the way the codec
   zero-pads short audio.
3. **Same STFT and encoding as the sound.** ``S_act = SpectrogramCodec(cfg.audio).encode(p)``:
   the same window, hop, crop/pad to R frames and channel scaling, so ``S_act`` is ``R×R×3`` and
   column ``j`` of ``S_act`` (time axis, axis 1) covers exactly the samples that column ``j`` of the
   sound image covers (``[j·hop, j·hop + frame_length)``) — the alignment the tests check with a
   click. Since ``P_act`` is slowly varying and non-negative, its energy sits in the lowest
   frequency rows; columns where the action is likely are brighter.

**Addition beyond the paper:** :func:`pact_to_steps` gives ``P_act`` resampled to the R image
columns — the Hann-weighted mean of ``p(n)`` over each STFT frame's samples (the same frames the
codec uses; padding columns beyond the real STFT frames are 0) — a 1-D ``[batch, R]`` guidance
signal aligned column for column with the image.

Everything is TensorFlow ops on batched tensors (``[batch, P]`` or a single ``[P]``), usable in
``tf.data`` maps, ``tf.function`` and SavedModels; ``fps`` may be a Python number, a scalar or a
``[batch]`` tensor (clips of different frame rates in one batch).
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

__all__ = ["pact_to_audio_timeline", "pact_to_steps", "action_spectrogram", "ActionSpectrogram"]


def _as_batch(p_act):
    p = tf.convert_to_tensor(p_act)
    p = tf.cast(p, tf.float32)
    if p.shape.rank == 1:
        return p[tf.newaxis], True
    if p.shape.rank != 2:
        raise ValueError(f"P_act must be [batch, pairs] or [pairs], got shape {tuple(p.shape)}")
    return p, False


def _per_example(value, batch, dtype):
    v = tf.cast(tf.convert_to_tensor(value), dtype)
    return tf.broadcast_to(tf.reshape(v, [-1]) if v.shape.rank else v, [batch])


def pact_to_audio_timeline(p_act, fps, num_samples: int, sample_rate: float, lengths=None,
                           start_time=0.0):
    """Resample ``P_act`` (one value per frame pair) onto an audio sample grid (module steps 1–2).

    Args:
      p_act: ``[batch, P]`` (or ``[P]``) pair probabilities, P ≥ 1.
      fps: video frame rate — number, scalar or ``[batch]``.
      num_samples: audio samples to produce (``audio.clip_samples``).
      sample_rate: audio sample rate (``audio.sample_rate``).
      lengths: optional int ``[batch]`` (or scalar) valid pairs per example (padded batches);
        default P.
      start_time: seconds of video time at audio sample 0 (number, scalar or ``[batch]``).

    Returns:
      float32 ``[batch, num_samples]`` (or ``[num_samples]``).
    """
    p, squeeze = _as_batch(p_act)
    batch = tf.shape(p)[0]
    num_pairs = tf.shape(p)[1]
    tf.debugging.assert_greater(num_pairs, 0, message="P_act has no frame pair (clip shorter than 2 frames)")
    fps = _per_example(fps, batch, tf.float64)[:, None]
    start = _per_example(start_time, batch, tf.float64)[:, None]
    if lengths is None:
        length = tf.fill([batch], num_pairs)
    else:
        length = tf.clip_by_value(_per_example(lengths, batch, tf.int32), 1, num_pairs)
    last = tf.cast(length - 1, tf.float64)[:, None]
    seconds = start + tf.range(num_samples, dtype=tf.float64)[None, :] / float(sample_rate)   # [B, N]
    u = tf.clip_by_value(seconds * fps - 0.5, 0.0, last)
    i0 = tf.floor(u)
    frac = tf.cast(u - i0, tf.float32)
    i0 = tf.cast(i0, tf.int32)
    i1 = tf.minimum(i0 + 1, tf.cast(last, tf.int32))
    p0 = tf.gather(p, i0, batch_dims=1)
    p1 = tf.gather(p, i1, batch_dims=1)
    wave = (1.0 - frac) * p0 + frac * p1
    video_end = (tf.cast(length, tf.float64)[:, None] + 1.0) / fps
    wave = tf.where(seconds < video_end, wave, tf.zeros_like(wave))
    return wave[0] if squeeze else wave


def _codec(audio_cfg, encoding=None):
    from foleygan_tf.audio import SpectrogramCodec

    return SpectrogramCodec(audio_cfg, encoding=encoding)


def _steps_from_timeline(wave, codec):
    """Hann-weighted mean of ``wave`` [B, N] over each STFT frame of ``codec`` → [B, R]."""
    frames = tf.signal.frame(wave, codec.frame_length, codec.frame_step, pad_end=False)      # [B, F, L]
    window = tf.signal.hann_window(codec.frame_length, dtype=tf.float32)
    steps = tf.reduce_sum(frames * window, axis=-1) / tf.reduce_sum(window)
    steps = steps[:, : codec.image_size]
    pad = codec.image_size - codec.num_frames
    if pad > 0:
        steps = tf.pad(steps, [[0, 0], [0, pad]])
    return tf.ensure_shape(steps, [None, codec.image_size])


def _fit(wave, n):
    wave = wave[:, :n]
    return tf.pad(wave, [[0, 0], [0, tf.maximum(0, n - tf.shape(wave)[1])]])


def pact_to_steps(p_act, fps, audio_cfg, lengths=None, start_time=0.0, codec=None):
    """``P_act`` resampled to the R columns of the spectrogram image — ``[batch, R]`` (or ``[R]``).

    Column ``j`` = Hann-weighted mean of the audio-timeline ``P_act`` over the samples of STFT
    frame ``j`` (``[j·hop, j·hop + frame_length)``), 0 in the padding columns. Our addition.
    """
    codec = codec or _codec(audio_cfg)
    p, squeeze = _as_batch(p_act)
    wave = pact_to_audio_timeline(p, fps, codec.clip_samples, codec.sample_rate, lengths, start_time)
    steps = _steps_from_timeline(wave, codec)
    return steps[0] if squeeze else steps


def action_spectrogram(p_act, fps, audio_cfg, lengths=None, start_time=0.0, codec=None,
                       with_steps: bool = False):
    """S_act: ``P_act`` → audio timeline → ``SpectrogramCodec(audio_cfg).encode``.

    Returns ``[batch, R, R, 3]`` in [-1, 1] (or ``[R, R, 3]`` for a single ``[P]``); with
    ``with_steps=True`` a pair ``(S_act, steps [batch, R])``.
    """
    codec = codec or _codec(audio_cfg)
    p, squeeze = _as_batch(p_act)
    wave = pact_to_audio_timeline(p, fps, codec.clip_samples, codec.sample_rate, lengths, start_time)
    image = codec.encode(wave)
    if squeeze:
        image = image[0]
    if not with_steps:
        return image
    steps = _steps_from_timeline(wave, codec)
    return image, (steps[0] if squeeze else steps)


@keras.saving.register_keras_serializable(package="foleygan_tf")
class ActionSpectrogram(keras.layers.Layer):
    """Keras layer: ``(p_act [B, P], fps [B] or scalar[, lengths [B]])`` →
    ``{"s_act": [B, R, R, 3], "p_act_steps": [B, R]}`` for the audio config ``audio`` (a dict of
    :class:`foleygan_tf.config.AudioConfig` fields or the dataclass). No weights."""

    def __init__(self, audio, encoding: str | None = None, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        from foleygan_tf.config import AudioConfig

        self.audio_cfg = AudioConfig(**audio) if isinstance(audio, dict) else audio
        self.encoding = encoding
        self.codec = _codec(self.audio_cfg, encoding)

    def __call__(self, p_act, fps, lengths=None, **kwargs):
        # Keras only accepts tensors positionally: let fps be a plain number too.
        fps = tf.convert_to_tensor(fps, tf.float32)
        if lengths is not None:
            lengths = tf.convert_to_tensor(lengths, tf.int32)
        return super().__call__(p_act, fps, lengths=lengths, **kwargs)

    def call(self, p_act, fps, lengths=None):
        s_act, steps = action_spectrogram(p_act, fps, self.audio_cfg, lengths=lengths, codec=self.codec,
                                          with_steps=True)
        return {"s_act": s_act, "p_act_steps": steps}

    def get_config(self):
        return {**super().get_config(), "audio": dataclasses.asdict(self.audio_cfg),
                "encoding": self.encoding}
