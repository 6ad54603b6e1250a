"""Synchronisation scores (beyond the paper's human survey; reference/metrics.md).

Onsets are detected with librosa (``delta`` 0.3 on the normalised onset envelope, as CondFoleyGen's
evaluation) and matched one-to-one within ±``window`` seconds.
"""

from __future__ import annotations

import numpy as np

ONSET_WINDOW_S = 0.1   # ±100 ms matching window (CondFoleyGen / MMAudio Greatest-Hits evaluation)
ONSET_DELTA = 0.3


def detect_onsets(wave: np.ndarray, sample_rate: int, delta: float = ONSET_DELTA) -> np.ndarray:
    """Onset times (s) of a mono wave."""
    import librosa

    wave = np.asarray(wave, np.float32)
    hop = max(1, int(round(sample_rate * 0.01)))  # 10 ms resolution at any rate
    env = librosa.onset.onset_strength(y=wave, sr=sample_rate, hop_length=hop)
    if env.max() > 0:
        env = env / env.max()
    frames = librosa.onset.onset_detect(onset_envelope=env, sr=sample_rate, hop_length=hop, delta=delta,
                                        backtrack=False, units="frames")
    return frames * hop / float(sample_rate)


def match_onsets(reference, estimated, window: float = ONSET_WINDOW_S) -> list[tuple[float, float]]:
    """Greedy one-to-one matching of the closest pairs within ±window; returns (ref, est) pairs."""
    ref, est = sorted(map(float, reference)), sorted(map(float, estimated))
    pairs = sorted((abs(r - e), i, j) for i, r in enumerate(ref) for j, e in enumerate(est) if abs(r - e) <= window)
    used_r, used_e, matched = set(), set(), []
    for _, i, j in pairs:
        if i not in used_r and j not in used_e:
            used_r.add(i)
            used_e.add(j)
            matched.append((ref[i], est[j]))
    return matched


def onset_scores(reference, estimated, window: float = ONSET_WINDOW_S, estimated_strength=None) -> dict:
    """Precision/recall/F1 within ±window, onset-count accuracy, AP and mean |offset| (ms).

    ``estimated_strength`` (optional, one value per estimated onset) ranks onsets for the average
    precision; without it AP equals precision × recall ordering by time (documented).
    """
    ref, est = np.asarray(reference, float), np.asarray(estimated, float)
    matched = match_onsets(ref, est, window)
    tp = len(matched)
    precision = tp / len(est) if len(est) else (1.0 if len(ref) == 0 else 0.0)
    recall = tp / len(ref) if len(ref) else (1.0 if len(est) == 0 else 0.0)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    count_accuracy = 1.0 if len(ref) == len(est) == 0 else 1.0 - abs(len(ref) - len(est)) / max(len(ref), len(est))
    offsets = [abs(r - e) * 1000.0 for r, e in matched]
    return {
        "precision": precision, "recall": recall, "f1": f1, "onset_accuracy": count_accuracy,
        "average_precision": _average_precision(ref, est, window, estimated_strength),
        "mean_abs_offset_ms": float(np.mean(offsets)) if offsets else float("nan"),
        "num_reference": int(len(ref)), "num_estimated": int(len(est)), "num_matched": tp,
    }


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
