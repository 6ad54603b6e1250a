"""Does ``P_act`` (the 2TRN's per-pair action probability) peak when the action happens?

Ground truth: the event times of a clip (``synth-data`` sidecars → ``events`` of the prepared
windows, in window seconds; ``-1`` entries are padding). ``P_act`` has one value per consecutive
frame pair; pair ``t`` sits at ``τ_t = (t + 0.5) / fps`` (the convention of
``foleygan_tf.models.action_spectrogram``). Two scores, each against its chance level:

**Peak hit rate.** Per clip with ``K ≥ 1`` events, take the ``K`` highest local maxima of
``P_act`` (``p[t] > p[t−1]`` and ``p[t] ≥ p[t+1]``, ends compared with their one neighbour; a
flat curve has none, then the argmax is used). A peak *hits* when ``|τ_t − e| ≤ tolerance_frames
/ fps`` for some event ``e``. ``peak_hit_rate`` = hits / peaks over all clips. *Chance*: the same
number of pair positions drawn uniformly without replacement per clip: its expected hit rate
(``chance_hit_rate``, exact: the fraction of a clip's pairs that lie near an event, weighted by
the clip's peak count) and a Monte-Carlo null of ``num_shuffles`` draws of all clips at once, which
gives a one-sided ``p_value`` = P(null hits ≥ observed hits) (with the +1 correction).
``event_recall`` (events with a chosen peak within the tolerance) gets the same null
(``chance_event_recall``).

**Correlation.** Pearson ``r`` between ``P_act`` and an event impulse train at pair resolution
(``g[t] = Σ_e max(0, 1 − |τ_t − e| · fps)``, a triangle one frame wide on each side), averaged over
clips; the null is the mean ``r`` over every non-zero circular shift of ``P_act`` (keeps its
autocorrelation, breaks its timing). Clips whose ``P_act`` or ``g`` is constant are left out of
the correlation.

Clips without events (continuous classes) are not scored (``clips_without_events``). Everything
is numpy; the function takes per-clip arrays of any lengths (valid pairs only).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["pact_event_alignment", "pact_peaks", "event_impulse_train", "pearson", "missed_groups",
           "MISSED_GAP"]

# A group (class) whose peak hit rate closes less than this fraction of the gap between its chance
# rate and 1 has a P_act that does not follow its events. A fraction of the gap, not a ratio to
# chance: a sparse class's chance rate is low and a dense class's high (per-class chance rates run
# from 0.05 to 0.71; no ratio above 1.4 exists at 0.71). Two runs of the bundled recipe
# (eval.json, action_sync.per_group): the class G left silent hit 0.15 against a chance of 0.06 —
# 2.4× chance, but a tenth of its gap —, the lowest class G voiced 0.51 against 0.14.
MISSED_GAP = 1 / 3


def pact_peaks(p_act, k: int) -> np.ndarray:
    """Indices of the ``k`` highest local maxima of ``p_act`` [P] (fewer if it has fewer; the
    argmax when it has none), sorted by time."""
    p = np.asarray(p_act, np.float64).reshape(-1)
    n = len(p)
    if n == 0 or k <= 0:
        return np.zeros(0, np.int64)
    left = np.concatenate([[-np.inf], p[:-1]])
    right = np.concatenate([p[1:], [-np.inf]])
    cand = np.flatnonzero((p > left) & (p >= right))
    if len(cand) == 0:
        cand = np.array([int(np.argmax(p))])
    order = cand[np.argsort(-p[cand], kind="stable")]
    return np.sort(order[:k])


def event_impulse_train(num_pairs: int, events, fps: float) -> np.ndarray:
    """``g[t] = Σ_e max(0, 1 − |τ_t − e| · fps)`` at the pair times ``τ_t = (t + 0.5) / fps``."""
    tau = (np.arange(num_pairs) + 0.5) / float(fps)
    ev = np.asarray(events, np.float64).reshape(-1)
    if len(ev) == 0:
        return np.zeros(num_pairs)
    return np.clip(1.0 - np.abs(tau[:, None] - ev[None, :]) * float(fps), 0.0, None).sum(axis=1)


def pearson(a, b) -> float | None:
    """Pearson r of two equal-length arrays; None when either is constant."""
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
    if den <= 1e-12:
        return None
    return float(np.dot(a, b) / den)


def pact_event_alignment(p_act, events, fps, tolerance_frames: float = 1.0, num_shuffles: int = 1000,
                         seed: int = 0, groups=None) -> dict:
    """Alignment of ``P_act`` peaks with ground-truth event times, against chance (module doc).

    Args:
      p_act: sequence of 1-D arrays, one per clip (the valid pairs of the clip).
      events: sequence of 1-D arrays of event times in clip seconds (negative = padding, ignored;
        events after the last frame are dropped).
      fps: frame rate of each clip's frames (sequence or one number).
      tolerance_frames: a peak hits an event within ± this many frames (1/fps s each).
      num_shuffles: Monte-Carlo draws of the random-position null.
      seed: seed of the null.
      groups: optional per-clip keys (e.g. class names) → a ``per_group`` breakdown.

    Returns:
      JSON-ready dict: ``clips``, ``clips_without_events``, ``events``, ``peaks``, ``hits``,
      ``peak_hit_rate``, ``chance_hit_rate``, ``hit_rate_lift`` (ratio), ``p_value``,
      ``event_recall``, ``chance_event_recall``, ``correlation``, ``shuffled_correlation``,
      ``correlation_clips``, ``tolerance_frames``, ``num_shuffles`` and ``per_group``
      (``{key: {clips, peak_hit_rate, chance_hit_rate, correlation, shuffled_correlation}}``).
      Rates are ``None`` when no clip has events.
    """
    n_clips = len(p_act)
    if len(events) != n_clips:
        raise ValueError(f"p_act has {n_clips} clips but events has {len(events)}")
    fps_list = [float(fps)] * n_clips if np.isscalar(fps) else [float(f) for f in fps]
    if len(fps_list) != n_clips:
        raise ValueError(f"p_act has {n_clips} clips but fps has {len(fps_list)}")
    if groups is not None and len(groups) != n_clips:
        raise ValueError(f"p_act has {n_clips} clips but groups has {len(groups)}")
    rng = np.random.default_rng(seed)

    scored = []       # per clip: dict of what the null and the totals need
    skipped = 0
    for i in range(n_clips):
        p = np.asarray(p_act[i], np.float64).reshape(-1)
        f = fps_list[i]
        n = len(p)
        ev = np.asarray(events[i], np.float64).reshape(-1)
        ev = ev[(ev >= 0) & (ev < (n + 1) / f)] if n else ev[:0]
        if n == 0 or len(ev) == 0:
            skipped += 1
            continue
        tau = (np.arange(n) + 0.5) / f
        close = np.abs(tau[:, None] - ev[None, :]) <= tolerance_frames / f + 1e-9      # [P, E]
        near = close.any(axis=1)
        peaks = pact_peaks(p, len(ev))
        g = event_impulse_train(n, ev, f)
        r = pearson(p, g)
        shifted = [pearson(np.roll(p, s), g) for s in range(1, n)]
        shifted = [x for x in shifted if x is not None]
        scored.append({
            "group": None if groups is None else groups[i], "n": n, "close": close, "near": near,
            "peaks": peaks, "hits": int(near[peaks].sum()), "recalled": int(close[peaks].any(axis=0).sum()),
            "events": len(ev), "chance": float(near.mean()) * len(peaks),
            "r": r, "r_null": float(np.mean(shifted)) if (r is not None and shifted) else None,
        })

    def summary(items, with_null: bool) -> dict:
        peaks = sum(len(c["peaks"]) for c in items)
        hits = sum(c["hits"] for c in items)
        n_events = sum(c["events"] for c in items)
        rs = [(c["r"], c["r_null"]) for c in items if c["r"] is not None and c["r_null"] is not None]
        out = {
            "clips": len(items), "events": n_events, "peaks": peaks, "hits": hits,
            "peak_hit_rate": hits / peaks if peaks else None,
            "chance_hit_rate": sum(c["chance"] for c in items) / peaks if peaks else None,
            "correlation": float(np.mean([a for a, _ in rs])) if rs else None,
            "shuffled_correlation": float(np.mean([b for _, b in rs])) if rs else None,
            "correlation_clips": len(rs),
        }
        if not with_null:
            return out
        recalled = sum(c["recalled"] for c in items)
        out["event_recall"] = recalled / n_events if n_events else None
        out["hit_rate_lift"] = (out["peak_hit_rate"] / out["chance_hit_rate"]
                                if peaks and out["chance_hit_rate"] else None)
        # Monte-Carlo null: every clip's peaks replaced by as many random distinct pair positions.
        null_hits = np.zeros(num_shuffles)
        null_recalled = np.zeros(num_shuffles)
        for c in items:
            k = len(c["peaks"])
            if k == 0:
                continue
            picks = np.argsort(rng.random((num_shuffles, c["n"])), axis=1)[:, :k]     # [S, k]
            null_hits += c["near"][picks].sum(axis=1)
            null_recalled += c["close"][picks].any(axis=1).sum(axis=1)
        out["chance_event_recall"] = float(null_recalled.mean() / n_events) if n_events and num_shuffles else None
        out["p_value"] = (float((1 + np.sum(null_hits >= hits)) / (1 + num_shuffles))
                          if peaks and num_shuffles else None)
        return out

    result = summary(scored, with_null=True)
    result.update({"clips_without_events": skipped, "tolerance_frames": float(tolerance_frames),
                   "num_shuffles": int(num_shuffles)})
    if groups is not None:
        keys = sorted({c["group"] for c in scored}, key=str)
        result["per_group"] = {str(k): summary([c for c in scored if c["group"] == k], with_null=False)
                               for k in keys}
    return result


def missed_groups(result: dict, gap: float = MISSED_GAP) -> dict:
    """``{group: (peak_hit_rate, chance_hit_rate)}`` of the groups of a
    :func:`pact_event_alignment` result (its ``per_group``) whose peak hit rate is below
    ``chance + gap · (1 − chance)``: the classes whose events P_act does not follow."""
    return {key: (g["peak_hit_rate"], g["chance_hit_rate"]) for key, g in result.get("per_group", {}).items()
            if g["peak_hit_rate"] is not None and g["chance_hit_rate"] is not None
            and g["peak_hit_rate"] < g["chance_hit_rate"] + gap * (1.0 - g["chance_hit_rate"])}
