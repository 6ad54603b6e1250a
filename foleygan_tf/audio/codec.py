"""``SpectrogramCodec``: waveform ↔ R×R×3 spectrogram image, in TensorFlow (paper §IV-B-1).

Image layout (all encodings): ``[batch, time R, frequency R, 3]``, every channel in [-1, 1]
(the generator ends in tanh).

=========  ===============================  ===================================  =========
encoding   ch0                              ch1                                  inverse
=========  ===============================  ===================================  =========
stft       log |X|                          phase ∠X / π                         ISTFT
lms        log mel-warped |X|               mel-warped instantaneous frequency   ISTFT (*)
ms         mel-warped |X| (linear)          0                                    Griffin-Lim
mfcc       DCT-II of the scaled log-mel     0                                    Griffin-Lim
cqt        log |CQT|                        phase ∠CQT / π                       librosa icqt
=========  ===============================  ===================================  =========

(*) the mel-warped phase seeds ``audio.lms_refine_iters`` Griffin-Lim iterations (0 = plain ISTFT
of the un-warped IF phase, GANSynth's IF-Mel inverse); measured in docs/RESULTS.md.

ch2 is the paper's zero padding channel ("we again apply zero padding that we extract later
through depadding"). Scaling constants (docs/ARCHITECTURE.md "Scaling"):

* log magnitudes: ``[log(audio.log_floor), log(max_magnitude)]`` → [-1, 1], where
  ``max_magnitude = Σ window`` (= frame_length / 2 for the periodic Hann window) is the largest
  magnitude a waveform in [-1, 1] can produce; magnitudes are clipped into that range.
* phase and instantaneous frequency: divided by π.
* linear mel magnitude: ``2 · M / max_magnitude − 1``.
* MFCC: the DCT-II (orthonormal) of the log-mel already scaled to [-1, 1], divided by √R
  (‖DCT(x)‖∞ ≤ ‖x‖₂ ≤ √R).

STFT geometry: ``tf.signal.stft`` with a periodic Hann window, ``frame_length``, ``frame_step``,
``fft_length`` of the config and no end padding; the frame axis is cropped or zero-padded to R, the
Nyquist bin is dropped (R = fft_length / 2). ``decode`` de-pads (keeps the real frames), restores a
zero Nyquist bin and runs ``tf.signal.inverse_stft`` with ``inverse_stft_window_fn``.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from foleygan_tf.audio import frequency_warp
from foleygan_tf.config import ENCODINGS, AudioConfig

PHASELESS = ("ms", "mfcc")
_GRIFFIN_LIM_MOMENTUM = 0.99  # "fast Griffin-Lim" (Perraudin et al. 2013), as librosa's default
_GRIFFIN_LIM_SEED = (17, 29)  # fixed initial phases: decoding is deterministic


class SpectrogramCodec:
    """Encode waveforms ``[B, N]`` (or ``[N]``) to images ``[B, R, R, 3]`` and back.

    Args:
        audio_config: an :class:`~foleygan_tf.config.AudioConfig` (``config.audio``).
        encoding: override of ``audio_config.encoding`` (one of ``stft lms ms mfcc cqt``).

    ``encode``/``decode`` are batched, run inside ``tf.function`` and ``tf.data`` (CQT through
    ``tf.numpy_function``, since its inverse needs librosa).
    """

    def __init__(self, audio_config: AudioConfig, encoding: str | None = None):
        audio_config.validate()
        self.config = audio_config
        self.encoding = encoding or audio_config.encoding
        if self.encoding not in ENCODINGS:
            raise ValueError(f"unknown encoding {self.encoding!r}; choose one of {ENCODINGS}")
        c = audio_config
        self.sample_rate = c.sample_rate
        self.clip_samples = c.clip_samples
        self.image_size = c.image_size
        self.frame_length, self.frame_step, self.fft_length = c.frame_length, c.frame_step, c.fft_length
        self.num_frames = min(c.num_stft_frames, c.image_size)  # real (non-padding) frames in the image
        window = tf.signal.hann_window(c.frame_length, dtype=tf.float64)
        self.max_magnitude = float(tf.reduce_sum(window))
        self.log_min = math.log(c.log_floor)
        self.log_max = math.log(self.max_magnitude)
        if self.encoding in ("lms", "ms", "mfcc"):
            warp = frequency_warp.linear_to_mel_matrix(c.sample_rate, c.fft_length, c.image_size, c.mel_low_hz)
            self._to_mel = tf.constant(warp, tf.float32)
            self._from_mel = tf.constant(frequency_warp.mel_to_linear_matrix(warp), tf.float32)
        if self.encoding == "cqt":
            self.cqt_params = _cqt_params(c)

    # ---- validation ------------------------------------------------------------------------
    def _prepare_wave(self, wave, sample_rate):
        if sample_rate is not None and int(sample_rate) != self.sample_rate:
            raise ValueError(
                f"waveform sample rate {sample_rate} Hz does not match the codec's {self.sample_rate} Hz; "
                "resample first (foleygan_tf.audio.resample or load_audio(path, sample_rate))")
        wave = tf.convert_to_tensor(wave)
        if not (wave.dtype.is_floating or wave.dtype.is_integer):
            raise ValueError(f"waveform must be a real float array, got dtype {wave.dtype.name}")
        wave = tf.cast(wave, tf.float32)
        rank = wave.shape.rank
        if rank not in (1, 2):
            raise ValueError(
                f"waveform must be [samples] or [batch, samples] mono, got rank {rank} shape "
                f"{wave.shape}; downmix multichannel audio first (foleygan_tf.audio.to_mono)")
        squeeze = rank == 1
        if squeeze:
            wave = wave[tf.newaxis]
        length = wave.shape[-1]
        batch = wave.shape[0]
        if length == 0:
            raise ValueError("waveform is empty (0 samples)")
        if length is not None and batch is not None and length <= 8 < batch:
            raise ValueError(
                f"waveform shape {tuple(wave.shape)} looks like [samples, channels]; pass mono "
                "[batch, samples] (foleygan_tf.audio.to_mono)")
        if tf.executing_eagerly():
            if not bool(tf.reduce_all(tf.math.is_finite(wave))):
                raise ValueError("waveform contains NaN or inf samples")
        else:
            wave = tf.debugging.assert_all_finite(wave, "waveform contains NaN or inf samples")
        return self._fit_length(wave), squeeze

    def _fit_length(self, wave):
        """Zero-pad (documented: short clips are padded) or crop the last axis to clip_samples."""
        n = tf.shape(wave)[-1]
        wave = wave[:, : self.clip_samples]
        return tf.pad(wave, [[0, 0], [0, tf.maximum(0, self.clip_samples - n)]])

    def _check_image(self, image):
        image = tf.convert_to_tensor(image)
        if not image.dtype.is_floating:
            raise ValueError(f"spectrogram image must be float, got {image.dtype.name}")
        image = tf.cast(image, tf.float32)
        rank = image.shape.rank
        squeeze = rank == 3
        if squeeze:
            image = image[tf.newaxis]
        if image.shape.rank != 4 or tuple(image.shape[1:]) != (self.image_size, self.image_size, 3):
            raise ValueError(
                f"spectrogram image must be [batch, {self.image_size}, {self.image_size}, 3] or "
                f"[{self.image_size}, {self.image_size}, 3], got shape {tuple(image.shape)}")
        return image, squeeze

    # ---- STFT geometry ----------------------------------------------------------------------
    def stft(self, wave):
        """Complex STFT ``[B, R, R]`` (time × frequency) of waves already fitted to clip_samples."""
        spec = tf.signal.stft(wave, self.frame_length, self.frame_step, self.fft_length,
                              window_fn=tf.signal.hann_window, pad_end=False)
        spec = spec[:, : self.image_size, : self.image_size]
        pad = self.image_size - self.num_frames
        return tf.pad(spec, [[0, 0], [0, pad], [0, 0]]) if pad > 0 else spec

    def istft(self, spec):
        """Inverse of :meth:`stft`: ``[B, R, R]`` complex → ``[B, clip_samples]``."""
        spec = spec[:, : self.num_frames]
        spec = tf.pad(spec, [[0, 0], [0, 0], [0, 1]])  # zero Nyquist bin
        wave = tf.signal.inverse_stft(
            spec, self.frame_length, self.frame_step, self.fft_length,
            window_fn=tf.signal.inverse_stft_window_fn(self.frame_step, forward_window_fn=tf.signal.hann_window))
        return self._fit_length(wave)

    # ---- scaling ----------------------------------------------------------------------------
    def _scale_log(self, log_mag):
        scaled = 2.0 * (log_mag - self.log_min) / (self.log_max - self.log_min) - 1.0
        return tf.clip_by_value(scaled, -1.0, 1.0)

    def _unscale_log(self, channel):
        return (channel + 1.0) * 0.5 * (self.log_max - self.log_min) + self.log_min

    def _log_magnitude(self, magnitude):
        return tf.math.log(tf.maximum(magnitude, self.config.log_floor))

    # ---- public API -------------------------------------------------------------------------
    def encode(self, wave, sample_rate: int | None = None):
        """``[B, N]`` or ``[N]`` float waveform → ``[B, R, R, 3]`` (or ``[R, R, 3]``) in [-1, 1].

        Waves are cropped or zero-padded to ``clip_samples``. ``sample_rate``, when given, must be
        the codec's. Raises ``ValueError`` on empty, NaN/inf, wrong rank or multichannel input.
        """
        wave, squeeze = self._prepare_wave(wave, sample_rate)
        image = getattr(self, f"_encode_{self.encoding}")(wave)
        image.set_shape([wave.shape[0], self.image_size, self.image_size, 3])
        return image[0] if squeeze else image

    def decode(self, image):
        """``[B, R, R, 3]`` (or ``[R, R, 3]``) image → ``[B, clip_samples]`` (or ``[clip_samples]``)."""
        image, squeeze = self._check_image(image)
        wave = getattr(self, f"_decode_{self.encoding}")(tf.clip_by_value(image, -1.0, 1.0))
        wave.set_shape([image.shape[0], self.clip_samples])
        return wave[0] if squeeze else wave

    def log_magnitude_image(self, wave):
        """``[B, R, R]`` log |STFT| scaled to [-1, 1] (used by NDB and plots), any encoding."""
        wave, _ = self._prepare_wave(wave, None)
        return self._scale_log(self._log_magnitude(tf.abs(self.stft(wave))))

    # ---- encodings --------------------------------------------------------------------------
    @staticmethod
    def _stack(ch0, ch1=None):
        zeros = tf.zeros_like(ch0)
        return tf.stack([ch0, zeros if ch1 is None else ch1, zeros], axis=-1)

    def _encode_stft(self, wave):
        spec = self.stft(wave)
        return self._stack(self._scale_log(self._log_magnitude(tf.abs(spec))), _phase(spec) / math.pi)

    def _decode_stft(self, image):
        magnitude = tf.exp(self._unscale_log(image[..., 0]))
        return self.istft(_polar(magnitude, image[..., 1] * math.pi))

    def _mel_power_and_phase(self, wave):
        spec = self.stft(wave)
        power = tf.square(tf.abs(spec)) @ self._to_mel
        phase = _unwrap(_phase(spec), axis=1) @ self._to_mel
        return power, phase

    def _encode_lms(self, wave):
        power, phase = self._mel_power_and_phase(wave)
        log_mag = 0.5 * tf.math.log(tf.maximum(power, self.config.log_floor ** 2))
        return self._stack(self._scale_log(log_mag), _instantaneous_frequency(phase))

    def _decode_lms(self, image):
        mel_power = tf.exp(2.0 * self._unscale_log(image[..., 0]))
        # + 1e-12 (|X| ≥ 1e-6, below the codec's 1e-5 floor): a finite gradient where the
        # pseudo-inverse gives 0 or less (gan.waveform_onset_loss differentiates the decode)
        magnitude = tf.sqrt(tf.maximum(mel_power @ self._from_mel, 0.0) + 1e-12)
        phase = (tf.cumsum(image[..., 1], axis=1) * math.pi) @ self._from_mel
        if self.config.lms_refine_iters == 0:
            return self.istft(_polar(magnitude, phase))
        # The mel warp of the phase is the lossy part (docs: "Encodings"): it seeds Griffin-Lim.
        return self._griffin_lim(magnitude, self.config.lms_refine_iters, initial_phase=phase)

    def _encode_ms(self, wave):
        power, _ = self._mel_power_and_phase(wave)
        magnitude = tf.sqrt(power) / self.max_magnitude
        return self._stack(tf.clip_by_value(2.0 * magnitude - 1.0, -1.0, 1.0))

    def _decode_ms(self, image):
        mel_magnitude = (image[..., 0] + 1.0) * 0.5 * self.max_magnitude
        return self._griffin_lim(self._linear_magnitude(tf.square(mel_magnitude)), self.config.griffin_lim_iters)

    def _encode_mfcc(self, wave):
        power, _ = self._mel_power_and_phase(wave)
        log_mel = self._scale_log(0.5 * tf.math.log(tf.maximum(power, self.config.log_floor ** 2)))
        coefficients = tf.signal.dct(log_mel, type=2, norm="ortho") / math.sqrt(self.image_size)
        return self._stack(coefficients)

    def _decode_mfcc(self, image):
        log_mel = tf.signal.idct(image[..., 0] * math.sqrt(self.image_size), type=2, norm="ortho")
        mel_power = tf.exp(2.0 * self._unscale_log(tf.clip_by_value(log_mel, -1.0, 1.0)))
        return self._griffin_lim(self._linear_magnitude(mel_power), self.config.griffin_lim_iters)

    def _linear_magnitude(self, mel_power):
        return tf.sqrt(tf.maximum(mel_power @ self._from_mel, 0.0))

    def _encode_cqt(self, wave):
        image = tf.numpy_function(self._cqt_numpy, [wave], tf.float32, stateful=False)
        return tf.ensure_shape(image, [None, self.image_size, self.image_size, 3])

    def _decode_cqt(self, image):
        wave = tf.numpy_function(self._icqt_numpy, [image], tf.float32, stateful=False)
        return tf.ensure_shape(wave, [None, self.clip_samples])

    def _cqt_numpy(self, wave: np.ndarray) -> np.ndarray:
        import librosa

        p = self.cqt_params
        out = np.zeros((wave.shape[0], self.image_size, self.image_size, 3), np.float32)
        for i, w in enumerate(wave):
            c = librosa.cqt(w.astype(np.float32), sr=self.sample_rate, hop_length=self.frame_step,
                            fmin=p["fmin"], n_bins=self.image_size, bins_per_octave=p["bins_per_octave"])
            c = c[:, : self.image_size].T  # time × frequency
            t = c.shape[0]
            log_mag = np.log(np.maximum(np.abs(c), self.config.log_floor))
            scaled = 2.0 * (log_mag - self.log_min) / (self.log_max - self.log_min) - 1.0
            out[i, :t, :, 0] = np.clip(scaled, -1.0, 1.0)
            out[i, t:, :, 0] = -1.0
            out[i, :t, :, 1] = np.angle(c) / math.pi
        return out

    def _icqt_numpy(self, image: np.ndarray) -> np.ndarray:
        import librosa

        p = self.cqt_params
        out = np.zeros((image.shape[0], self.clip_samples), np.float32)
        for i, img in enumerate(image):
            log_mag = (img[..., 0] + 1.0) * 0.5 * (self.log_max - self.log_min) + self.log_min
            c = (np.exp(log_mag) * np.exp(1j * np.pi * img[..., 1])).T
            out[i] = librosa.icqt(c, sr=self.sample_rate, hop_length=self.frame_step, fmin=p["fmin"],
                                  bins_per_octave=p["bins_per_octave"], length=self.clip_samples)
        return out

    # ---- Griffin-Lim -------------------------------------------------------------------------
    def _griffin_lim(self, magnitude, iterations: int, initial_phase=None):
        """Fast Griffin-Lim in TF: a phase for a ``[B, R, R]`` magnitude, then :meth:`istft`.

        Starts from ``initial_phase`` when given, else from fixed pseudo-random phases (decoding
        is deterministic).
        """
        if initial_phase is None:
            initial_phase = tf.random.stateless_uniform(tf.shape(magnitude), _GRIFFIN_LIM_SEED, 0.0, 2.0 * math.pi)
        magnitude = tf.cast(magnitude, tf.complex64)
        rebuilt = _polar(tf.ones_like(initial_phase), initial_phase)
        previous = tf.zeros_like(rebuilt)

        def body(i, rebuilt, previous):
            estimate = self.stft(self.istft(magnitude * rebuilt))
            accelerated = estimate - (_GRIFFIN_LIM_MOMENTUM / (1.0 + _GRIFFIN_LIM_MOMENTUM)) * previous
            # |z| as sqrt(re² + im² + 1e-24): same value, but a finite gradient at z = 0 (the loss
            # gan.waveform_onset_loss differentiates through these iterations)
            norm = tf.sqrt(tf.square(tf.math.real(accelerated)) + tf.square(tf.math.imag(accelerated)) + 1e-24)
            unit = accelerated / tf.cast(tf.maximum(norm, 1e-12), tf.complex64)
            return i + 1, unit, estimate

        _, rebuilt, _ = tf.while_loop(lambda i, *_: i < iterations, body, (tf.constant(0), rebuilt, previous))
        return self.istft(magnitude * rebuilt)


def _polar(magnitude, phase):
    return tf.complex(magnitude * tf.cos(phase), magnitude * tf.sin(phase))


def _phase(spec):
    """The phase of a complex STFT, ``atan2(imag, real)``: the same values as ``tf.math.angle`` (to
    5e-7), but TensorFlow's CPU kernel for ``angle`` is 15–60× slower — it was 28 % of the codec's
    op time at the paper preset (benchmarks/README.md)."""
    return tf.math.atan2(tf.math.imag(spec), tf.math.real(spec))


def _unwrap(phase, axis):
    """numpy.unwrap along ``axis`` (1 = time) in TF."""
    diff = tf.experimental.numpy.diff(phase, axis=axis)
    wrapped = tf.math.floormod(diff + math.pi, 2.0 * math.pi) - math.pi
    correction = tf.cumsum(wrapped - diff, axis=axis)
    first = tf.gather(phase, [0], axis=axis)
    zeros = tf.zeros_like(first)
    return phase + tf.concat([zeros, correction], axis=axis)


def _instantaneous_frequency(phase_angle):
    """GANSynth's IF along time: unwrapped phase differences / π (first frame: the phase / π).

    Differences of a warped, unwrapped phase can leave [-π, π]; they are re-wrapped so the channel
    stays in [-1, 1] — cumsum in the decoder undoes the wrap modulo 2π, which the phase ignores.
    """
    diff = tf.experimental.numpy.diff(phase_angle, axis=1)
    diff = tf.math.floormod(diff + math.pi, 2.0 * math.pi) - math.pi
    first = tf.math.floormod(phase_angle[:, :1] + math.pi, 2.0 * math.pi) - math.pi
    return tf.concat([first, diff], axis=1) / math.pi


def _cqt_params(c: AudioConfig) -> dict:
    """CQT geometry: R bins ending at 0.9·Nyquist, ≤ 8 octaves, never below 20 Hz (our choice).

    bins_per_octave is a power of two: librosa's icqt is numerically unstable for some odd values
    (measured: 33 bins/octave at 11 025 Hz and 73 at 44 100 Hz blow up), stable for 16, 32, 64.
    """
    top = 0.9 * c.sample_rate / 2.0
    low = c.cqt_fmin_hz if c.cqt_fmin_hz > 0 else 20.0
    octaves = min(8.0, math.log2(top / low))
    bins_per_octave = 2 ** int(math.ceil(math.log2((c.image_size - 1) / octaves)))
    fmin = top / 2.0 ** ((c.image_size - 1) / bins_per_octave)
    return {"fmin": fmin, "bins_per_octave": bins_per_octave}
