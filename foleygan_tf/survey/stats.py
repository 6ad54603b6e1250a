"""The numbers of Table IV: means with bootstrap intervals over participants, and the control checks.

**A cell** (a condition — a model, the reference or the anchor — and a class, or all classes
pooled): the mean of all its ratings, N = the participants who gave at least one, and a 95 %
percentile bootstrap interval that resamples *participants* with replacement (all the ratings of
a drawn participant come along: a participant's ratings are not independent of each other) and
recomputes the pooled mean. The pooled "all classes" mean equals the mean of the class means (the
paper's "Average") when every participant rated as many clips of each class.

**Control checks**: per participant, the mean synchronicity they gave the reference and the
anchor over the clips where they rated both; a participant who rated the anchor above the
reference is flagged (inattentive, or a broken set-up when many are). The paired difference
reference − anchor gets the same bootstrap over participants.
"""

from __future__ import annotations

import numpy as np

__all__ = ["QUESTIONS", "ALL_CLASSES", "bootstrap_mean", "summarise", "control_check"]

QUESTIONS = {"quality": "Audio quality", "sync": "A-V synchronicity"}
ALL_CLASSES = "all"
LEVEL = 0.95


def bootstrap_mean(sums: np.ndarray, counts: np.ndarray, draws: np.ndarray) -> dict:
    """Pooled mean of per-participant ``sums``/``counts`` and its percentile interval over the
    participant resamples ``draws`` (``[resamples, N]`` indices). ``None`` values when N = 0."""
    if len(sums) == 0:
        return {"mean": None, "low": None, "high": None}
    means = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    low, high = np.percentile(means, [50 * (1 - LEVEL), 100 - 50 * (1 - LEVEL)])
    return {"mean": float(sums.sum() / counts.sum()), "low": float(low), "high": float(high)}


def _cell(answers: list[dict], resamples: int, rng) -> dict:
    participants = sorted({a["participant"] for a in answers})
    index = {p: i for i, p in enumerate(participants)}
    n = len(participants)
    counts = np.zeros(n)
    sums = {q: np.zeros(n) for q in QUESTIONS}
    for a in answers:
        i = index[a["participant"]]
        counts[i] += 1
        for q in QUESTIONS:
            sums[q][i] += a[q]
    draws = rng.integers(0, n, (resamples, n)) if n else None
    row = {"n_participants": n, "n_ratings": len(answers)}
    row.update({q: bootstrap_mean(sums[q], counts, draws) for q in QUESTIONS})
    return row


def summarise(answers: list[dict], conditions: list[tuple[str, str]], classes: list[str],
              resamples: int = 2000, seed: int = 0) -> list[dict]:
    """One row per condition (``[(name, kind)]``, in order) and class (``classes`` then
    :data:`ALL_CLASSES`): ``{"condition", "kind", "class", "n_participants", "n_ratings",
    "quality": {"mean", "low", "high"}, "sync": {…}}``. Deterministic for a given ``seed``."""
    if resamples < 1:
        raise ValueError(f"--resamples must be ≥ 1, got {resamples}")
    rng = np.random.default_rng(seed)
    rows = []
    for name, kind in conditions:
        mine = [a for a in answers if a["condition"] == name]
        for cls in list(classes) + [ALL_CLASSES]:
            cell = mine if cls == ALL_CLASSES else [a for a in mine if a["class"] == cls]
            rows.append({"condition": name, "kind": kind, "class": cls, **_cell(cell, resamples, rng)})
    return rows


def control_check(answers: list[dict], resamples: int = 2000, seed: int = 0) -> dict:
    """``{"participants": [{"participant", "clips", "reference_sync", "anchor_sync", "flagged"}],
    "difference": {"mean", "low", "high"}, "n_participants"}`` — reference − anchor synchronicity
    per participant over the clips they rated both (module docstring)."""
    by = {}
    for a in answers:
        if a["kind"] in ("reference", "anchor"):
            by.setdefault(a["participant"], {}).setdefault(a["clip"], {})[a["kind"]] = a["sync"]
    people = []
    for participant, clips in by.items():
        both = [c for c in clips.values() if len(c) == 2]
        if not both:
            continue
        ref = float(np.mean([c["reference"] for c in both]))
        anchor = float(np.mean([c["anchor"] for c in both]))
        people.append({"participant": participant, "clips": len(both), "reference_sync": ref,
                       "anchor_sync": anchor, "flagged": anchor > ref})
    diffs = np.array([p["reference_sync"] - p["anchor_sync"] for p in people])
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(diffs), (resamples, len(diffs))) if len(diffs) else None
    return {"participants": people, "n_participants": len(people),
            "difference": bootstrap_mean(diffs, np.ones(len(diffs)), draws)}
