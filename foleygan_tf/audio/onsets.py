"""Onset analysis: the one definition of an audio onset, for training targets and for sync metrics.

An onset is a peak of the **onset envelope**: spectral-flux onset strength (the positive part of
the frame-to-frame rise of the log spectrum, aggregated over frequency) with a 10 ms hop and an
analysis window of ≈ 46 ms at *any* sample rate (:func:`onset_frames`: ``n_fft`` = the power of
two ≥ 0.046 s × rate). librosa's defaults (2048-sample window) assume ≥ 22 kHz audio: at the tiny
preset's 689 Hz the window would span the whole 3 s clip and every clip would get one onset in
its middle (real-audio F1 vs the sidecar events 0.1 with the defaults, 0.98 with the scaled
window). The envelope is normalised per clip to a maximum of 1; envelope frame ``i`` is at
``i · hop / rate`` s.

Two implementations of the same envelope on the same frame grid (``tests/test_onsets.py`` checks
that they agree on real recordings):

* numpy / librosa, for the metrics — :func:`onset_envelope` (mel power in dB, mean over bands);
  :func:`analyse_onsets` / :func:`detect_onsets` peak-pick it (librosa ``onset_detect``,
  ``delta`` :data:`ONSET_DELTA`, as CondFoleyGen's evaluation); :func:`match_onsets`,
  :func:`onset_scores` and :func:`pooled_onsets` score estimated against reference times within
  ±:data:`ONSET_WINDOW_S` (greedy matching: the closest pairs first, or each reference onset in
  time order). The real-video measure (:mod:`foleygan_tf.evaluation.real_video`) detects onsets
  with librosa's defaults at 22.05 kHz, as its definition says, and scores them here.
* TensorFlow, for tf.data and training — :func:`onset_envelope_tf` (log linear magnitude, sum
  over bins; differentiable) and from it :func:`pair_onset_weights`, the 2TRN's self-supervised
  pair target (``trn.pair_target = "audio_onsets"``) and the GAN's ``audio_onsets`` guidance
  (:func:`onset_weights_to_pact`).

They differ in one convention: librosa reports the rise into a frame ``shift = n_fft // (2 · hop)``
frames later than the frame's centre (its ``center`` compensation: a window sees an onset half a
window before its centre reaches it), the TensorFlow envelope at the frame's centre. So the
training targets peak ≈ 20 ms (2 frames at every preset's rate) before the metric's onsets. The
targets are self-consistent — the 2TRN learns them and G is trained on them — so they stay as the
bundled models were trained; aligning them changes what a retrained 2TRN and G learn.

Importing this module does not import TensorFlow or librosa; each function imports what it needs.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["ONSET_FFT_S", "ONSET_HOP_S", "ONSET_DELTA", "ONSET_WINDOW_S", "SILENCE_RMS", "onset_frames",
           "onset_envelope", "Onsets", "analyse_onsets", "detect_onsets", "MATCH_ORDERS", "match_onsets",
           "onset_scores", "pooled_onsets", "onset_envelope_tf", "pair_onset_weights", "onset_weights_to_pact"]

ONSET_FFT_S = 0.046     # analysis window ≈ 46 ms (librosa's 2048 samples at 44.1 kHz) at any rate
ONSET_HOP_S = 0.01      # envelope resolution: 10 ms at any rate
# Peak-picking delta on the normalised envelope (CondFoleyGen); the training targets use the same
# value as the strength below which a frame is "no onset".
ONSET_DELTA = 0.3
ONSET_WINDOW_S = 0.1    # ±100 ms matching window (CondFoleyGen / MMAudio Greatest-Hits evaluation)
# A wave quieter than this (RMS) has no onsets: the per-clip normalisation would otherwise turn
# the faint noise of a near-silent clip into full-strength peaks.
SILENCE_RMS = 1e-4


def onset_frames(sample_rate: int) -> tuple[int, int, int]:
    """``(n_fft, hop, shift)`` of the onset analysis at ``sample_rate``: window and hop in samples,
    and the flux's delay in frames (``n_fft // (2 · hop)``, librosa's ``center`` compensation)."""
    n_fft = max(16, 1 << int(math.ceil(math.log2(ONSET_FFT_S * sample_rate))))
    hop = max(1, int(round(sample_rate * ONSET_HOP_S)))
    return n_fft, hop, n_fft // (2 * hop)


# ---- numpy / librosa: the metrics ------------------------------------------------------------

def onset_envelope(wave, sample_rate: int) -> tuple[np.ndarray, float]:
    """``(envelope [F], frames per second)`` of a mono wave ``[N]`` (``F = 1 + N // hop``),
    normalised to a maximum of 1 (all zeros for silence)."""
    import warnings

    import librosa

    n_fft, hop, _ = onset_frames(sample_rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "empty mel filters" at low rates: harmless here
        env = librosa.onset.onset_strength(y=np.asarray(wave, np.float32), sr=sample_rate, hop_length=hop,
                                           n_fft=n_fft, n_mels=min(128, n_fft // 2))
    if env.max() > 0:
        env = env / env.max()
    return env, sample_rate / float(hop)


@dataclasses.dataclass
class Onsets:
    """The onset analysis of one wave: ``envelope`` [F] in [0, 1] at ``rate`` frames per second,
    and the peak-picked onset ``frames`` [K] (int, ascending)."""

    envelope: np.ndarray
    rate: float
    frames: np.ndarray

    @property
    def times(self) -> np.ndarray:
        """Onset times [K] in s."""
        return self.frames / self.rate

    @property
    def strength(self) -> np.ndarray:
        """Envelope value [K] at each onset (ranks the onsets for average precision)."""
        return self.envelope[self.frames]


def analyse_onsets(wave, sample_rate: int, delta: float = ONSET_DELTA) -> Onsets:
    """Envelope and onsets of a mono wave ``[N]``; a silent wave (RMS < :data:`SILENCE_RMS`) has
    no onsets."""
    import librosa

    wave = np.asarray(wave, np.float32)
    env, rate = onset_envelope(wave, sample_rate)
    frames = np.zeros(0, int)
    level = float(np.sqrt(np.mean(np.square(wave, dtype=np.float64)))) if wave.size else 0.0
    if level >= SILENCE_RMS and env.max() > 0:
        _, hop, _ = onset_frames(sample_rate)
        frames = librosa.onset.onset_detect(onset_envelope=env, sr=sample_rate, hop_length=hop, delta=delta,
                                            backtrack=False, units="frames")
    return Onsets(env, rate, np.asarray(frames, int))


def detect_onsets(wave, sample_rate: int, delta: float = ONSET_DELTA) -> np.ndarray:
    """Onset times [K] (s) of a mono wave ``[N]`` (:func:`analyse_onsets`)."""
    return analyse_onsets(wave, sample_rate, delta).times


MATCH_ORDERS = ("closest", "reference")


def match_onsets(reference, estimated, window: float = ONSET_WINDOW_S,
                 order: str = "closest") -> list[tuple[float, float]]:
    """Greedy one-to-one matching within ±window; returns (ref, est) pairs.

    ``order="closest"``: the closest pair of all is matched first, then the closest of the rest, …;
    ``order="reference"``: each reference onset in time order takes the nearest still unused
    estimated onset (ties: the earlier one) — the real-video measure
    (:mod:`foleygan_tf.evaluation.real_video`)."""
    if order not in MATCH_ORDERS:
        raise ValueError(f"order must be one of {MATCH_ORDERS}, got {order!r}")
    ref, est = sorted(map(float, reference)), sorted(map(float, estimated))
    pairs = sorted((abs(r - e), i, j) for i, r in enumerate(ref) for j, e in enumerate(est) if abs(r - e) <= window)
    if order == "reference":  # by reference onset, then distance
        pairs.sort(key=lambda p: (p[1], p[0], p[2]))
    used_r, used_e, matched = set(), set(), []
    for _, i, j in pairs:
        if i not in used_r and j not in used_e:
            used_r.add(i)
            used_e.add(j)
            matched.append((ref[i], est[j]))
    return matched


def _prf(matched: int, estimated: int, reference: int) -> tuple[float, float, float]:
    """Precision, recall, F1 from counts (an empty side scores 1 when the other is empty too)."""
    precision = matched / estimated if estimated else (1.0 if reference == 0 else 0.0)
    recall = matched / reference if reference else (1.0 if estimated == 0 else 0.0)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def onset_scores(reference, estimated, window: float = ONSET_WINDOW_S, estimated_strength=None,
                 order: str = "closest") -> dict:
    """One clip: precision/recall/F1 within ±window, onset-count accuracy, AP, mean |offset| (ms),
    the matched |offsets| (``offsets_ms``) and the counts (``num_reference``, ``num_estimated``,
    ``num_matched``).

    ``estimated_strength`` (optional, one value per estimated onset) ranks onsets for the average
    precision; without it they are ranked by time. ``order``: the matching (:func:`match_onsets`).
    """
    ref, est = np.asarray(reference, float), np.asarray(estimated, float)
    matched = match_onsets(ref, est, window, order)
    precision, recall, f1 = _prf(len(matched), len(est), len(ref))
    count_accuracy = 1.0 if len(ref) == len(est) == 0 else 1.0 - abs(len(ref) - len(est)) / max(len(ref), len(est))
    offsets = [abs(r - e) * 1000.0 for r, e in matched]
    return {
        "precision": precision, "recall": recall, "f1": f1, "onset_accuracy": count_accuracy,
        "average_precision": _average_precision(ref, est, window, estimated_strength),
        "mean_abs_offset_ms": float(np.mean(offsets)) if offsets else float("nan"), "offsets_ms": offsets,
        "num_reference": int(len(ref)), "num_estimated": int(len(est)), "num_matched": len(matched),
    }


def pooled_onsets(clips) -> dict:
    """P/R/F1 of several clips' :func:`onset_scores` from their summed counts (a clip with many
    events weighs more than in the mean over clips)."""
    clips = list(clips)
    tp = sum(c["num_matched"] for c in clips)
    est = sum(c["num_estimated"] for c in clips)
    ref = sum(c["num_reference"] for c in clips)
    precision, recall, f1 = _prf(tp, est, ref)
    return {"num_reference": ref, "num_estimated": est, "num_matched": tp,
            "precision": precision, "recall": recall, "f1": f1}


def _average_precision(ref, est, window, strength) -> float:
    if len(ref) == 0:
        return 1.0 if len(est) == 0 else 0.0
    if len(est) == 0:
        return 0.0
    order = np.argsort(-np.asarray(strength)) if strength is not None else np.arange(len(est))
    hits, precisions, used = 0, [], set()
    for rank, j in enumerate(order, start=1):
        candidates = [(abs(r - est[j]), i) for i, r in enumerate(ref) if i not in used and abs(r - est[j]) <= window]
        if candidates:
            used.add(min(candidates)[1])
            hits += 1
            precisions.append(hits / rank)
    return float(np.sum(precisions) / len(ref))


# ---- TensorFlow: training targets ------------------------------------------------------------

def onset_envelope_tf(wave, sample_rate: int):
    """:func:`onset_envelope` in TensorFlow ops: mono waves ``[N]`` or ``[B, N]`` → ``(env [.., F],
    times [F] s)`` on the same frame grid, normalised per clip to a maximum of 1 (0 for silence).
    The rise into frame ``i`` is reported at frame ``i`` (librosa: ``shift`` frames later, see the
    module docstring).

    ``|STFT|`` with a Hann window, zero-padded by half a window each side (frame ``i`` centred at
    ``i · hop``); the magnitude is ``sqrt(re² + im² + 1e-12)`` so all-zero frames have a finite
    gradient. No gradient flows through the per-clip normaliser: a near-silent clip's tiny maximum
    would turn into gradients ~1e5 times those of louder clips."""
    import tensorflow as tf

    n_fft, hop, _ = onset_frames(sample_rate)
    wave = tf.convert_to_tensor(wave, tf.float32)
    pad = [[0, 0]] * (wave.shape.rank - 1) + [[n_fft // 2, n_fft // 2]]
    spec = tf.signal.stft(tf.pad(wave, pad), n_fft, hop, n_fft, pad_end=False)            # [.., F, K]
    logm = tf.math.log(1e-3 + tf.sqrt(tf.square(tf.math.real(spec)) + tf.square(tf.math.imag(spec)) + 1e-12))
    flux = tf.reduce_sum(tf.nn.relu(logm[..., 1:, :] - logm[..., :-1, :]), axis=-1)      # rise into frame i+1
    flux = tf.concat([tf.zeros_like(flux[..., :1]), flux], axis=-1)
    peak = tf.stop_gradient(tf.reduce_max(flux, axis=-1, keepdims=True))
    env = tf.math.divide_no_nan(flux, peak)
    times = tf.range(tf.shape(env)[-1], dtype=tf.float32) * (hop / float(sample_rate))
    return env, times


def pair_onset_weights(wave, fps, num_pairs, sample_rate: int, threshold: float = ONSET_DELTA):
    """How strongly each consecutive frame pair of a window coincides with an onset of its audio —
    the self-supervised 2TRN pair target of ``trn.pair_target = "audio_onsets"``.

    ``w[t] = max_s a(s) · max(0, 1 − |s − τ_t| · fps)`` with ``a = clip((env − threshold) / (1 −
    threshold), 0, 1)`` (:func:`onset_envelope_tf`), over the envelope frames ``s``;
    ``τ_t = (t + 0.5) / fps`` is the pair's time (the P_act convention). An onset at the pair's
    midpoint gives 1, one on a frame (between two pairs) 0.5 to both. ``wave`` [N], ``fps``
    scalar, ``num_pairs`` int → float32 [num_pairs] in [0, 1]; or batched: ``wave`` [B, N], ``fps``
    [B] or scalar → [B, num_pairs]. Needs no event labels. TensorFlow ops."""
    import tensorflow as tf

    wave = tf.convert_to_tensor(wave, tf.float32)
    single = wave.shape.rank == 1
    if single:
        wave = wave[None]
    env, times = onset_envelope_tf(wave, sample_rate)                                      # [B, F], [F]
    a = tf.clip_by_value((env - threshold) / (1.0 - threshold), 0.0, 1.0)
    fps = tf.broadcast_to(tf.reshape(tf.cast(fps, tf.float32), [-1, 1, 1]), [tf.shape(wave)[0], 1, 1])
    tau = (tf.range(num_pairs, dtype=tf.float32)[None, :, None] + 0.5) / fps              # [B, P, 1]
    tri = tf.nn.relu(1.0 - tf.abs(times[None, None, :] - tau) * fps)                      # [B, P, F]
    w = tf.reduce_max(tri * a[:, None, :], axis=-1)
    return w[0] if single else w


def onset_weights_to_pact(weights, num_classes: int):
    """Pair onset weights ``w`` in [0, 1] (:func:`pair_onset_weights`) → P_act on the audio-onset
    2TRN's output scale, ``1/C + (1 − 1/C)·w``: chance level off the onsets, 1 on them — what a
    perfect 2TRN with ``trn.pair_target = "audio_onsets"`` would output (the GAN's guidance with
    ``gan.guidance_source = "audio_onsets"``). TensorFlow ops."""
    import tensorflow as tf

    chance = 1.0 / float(num_classes)
    return chance + (1.0 - chance) * tf.convert_to_tensor(weights, tf.float32)
