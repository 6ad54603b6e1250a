"""Synchronisation scores of generated clips (beyond the paper's human survey; reference/metrics.md).

Onsets come from :mod:`foleygan_tf.audio.onsets` (detection, matching within ±100 ms, P/R/F1).
This module adds what relates a clip's audio to its video and sums clips up:

* :func:`clip_sync` — one clip: onset scores against the reference times, plus the AV offset and
  correlation of its onset envelope with P_act;
* :func:`summarize_sync` — one report row: means over clips, P/R/F1 pooled over the clips' summed
  onset counts (overall and per class), offsets;
* :func:`av_offset` — the lag maximising the cross-correlation of two signals on one timeline.
"""

from __future__ import annotations

import numpy as np

from foleygan_tf.audio.onsets import ONSET_WINDOW_S, analyse_onsets, onset_scores, pooled_onsets

__all__ = ["av_offset", "clip_sync", "summarize_sync", "REFERENCE_KINDS"]

# where a clip's reference onsets come from: its sidecar event times, or the onsets of its real audio
REFERENCE_KINDS = ("events", "real_onsets")


def av_offset(onset_envelope: np.ndarray, action_curve: np.ndarray, rate: float, max_offset_s: float = 0.5) -> float:
    """AV offset (s) maximising the cross-correlation of an audio onset envelope and P_act.

    Both signals are sampled at ``rate`` Hz on the same clip timeline. Positive = audio late.
    """
    a = np.asarray(onset_envelope, float)
    v = np.asarray(action_curve, float)
    n = min(a.size, v.size)
    a, v = a[:n] - a[:n].mean(), v[:n] - v[:n].mean()
    max_lag = int(round(max_offset_s * rate))
    lags = range(-max_lag, max_lag + 1)
    scores = [np.dot(a[max(0, l):n + min(0, l)], v[max(0, -l):n - max(0, l)]) for l in lags]
    return float(list(lags)[int(np.argmax(scores))] / rate)


def clip_sync(wave, reference, p_act, fps, sample_rate, window: float = ONSET_WINDOW_S) -> dict:
    """Sync scores of one clip ``wave [N]``: :func:`~foleygan_tf.audio.onsets.onset_scores` of its
    onsets (ranked by envelope strength for AP) vs the ``reference`` times, plus ``av_offset_s``
    (cross-correlation of the onset envelope with P_act ``[P]`` placed at the pair times
    ``(t + 0.5) / fps``, linearly interpolated to the envelope frames, 0 outside; ``None`` when
    P_act or the envelope is flat) and ``av_correlation`` (Pearson r of the two at lag 0)."""
    onsets = analyse_onsets(wave, sample_rate)
    env, rate = onsets.envelope, onsets.rate
    scores = onset_scores(reference, onsets.times, window,
                          estimated_strength=onsets.strength if len(onsets.frames) else None)
    scores["av_offset_s"] = scores["av_correlation"] = None
    p = np.asarray(p_act, np.float64)
    if len(p) >= 2 and np.ptp(p) > 1e-6 and np.ptp(env) > 0:
        t_env = np.arange(len(env)) / rate
        curve = np.interp(t_env, (np.arange(len(p)) + 0.5) / float(fps), p, left=0.0, right=0.0)
        if np.ptp(curve) > 1e-6:
            scores["av_offset_s"] = av_offset(env, curve, rate)
            scores["av_correlation"] = float(np.corrcoef(env, curve)[0, 1])
    return scores


def summarize_sync(per_clip: list, kinds: list, classes: list) -> dict:
    """One row's sync numbers from its :func:`clip_sync` results, each clip's reference kind
    (:data:`REFERENCE_KINDS`) and class name. A clip is scored when it has ≥ 1 reference onset.

    * ``precision``, ``recall``, ``f1``, ``onset_accuracy``, ``average_precision``: means over the
      scored clips;
    * ``pooled``: P/R/F1 from the matched / estimated / reference onsets summed over the scored
      clips (:func:`~foleygan_tf.audio.onsets.pooled_onsets`), and ``per_class`` the same per class;
    * ``mean_abs_offset_ms`` over all matched pairs; ``av_offset_ms`` (median, signed: + = audio
      late), ``av_abs_offset_ms`` (mean |·|) and ``av_correlation`` (mean Pearson r at lag 0) over
      the clips with a defined AV offset;
    * ``clips_scored`` and ``reference``: scored clips per reference kind.
    """
    scored = [i for i, c in enumerate(per_clip) if c["num_reference"] > 0]
    out = {"clips_scored": len(scored),
           "reference": {k: sum(1 for i in scored if kinds[i] == k) for k in REFERENCE_KINDS}}
    for key in ("precision", "recall", "f1", "onset_accuracy", "average_precision"):
        out[key] = float(np.mean([per_clip[i][key] for i in scored])) if scored else None
    out["pooled"] = pooled_onsets(per_clip[i] for i in scored) if scored else None
    by_class: dict = {}
    for i in scored:
        by_class.setdefault(classes[i], []).append(per_clip[i])
    out["per_class"] = {c: pooled_onsets(v) for c, v in sorted(by_class.items())}
    offsets = [o for i in scored for o in per_clip[i]["offsets_ms"]]
    out["mean_abs_offset_ms"] = float(np.mean(offsets)) if offsets else None
    out["matched_onsets"] = len(offsets)
    av = [c["av_offset_s"] for c in per_clip if c["av_offset_s"] is not None]
    out["av_clips"] = len(av)
    out["av_offset_ms"] = float(np.median(av) * 1000.0) if av else None
    out["av_abs_offset_ms"] = float(np.mean(np.abs(av)) * 1000.0) if av else None
    corr = [c["av_correlation"] for c in per_clip if c["av_correlation"] is not None]
    out["av_correlation"] = float(np.mean(corr)) if corr else None
    return out
