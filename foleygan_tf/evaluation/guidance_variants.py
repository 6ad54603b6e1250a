"""Guidance variants: the controls that tell "the sound follows the video" from "the model makes
plausible onsets anywhere".

A guided generator is run on the same windows, z and class with its guidance (P_act per frame
pair of a window, and the fps it was computed at) in one of three variants:

* ``normal``  — each window's own P_act;
* ``off``     — P_act ≡ 0: the S_act of a still video (the codec's image of a silent timeline)
  and a zero action curve;
* ``swapped`` — another window's P_act and fps, by one seeded derangement (:func:`derangement`):
  within the class where the class has ≥ 2 windows, so the class stays right and only the timing
  is wrong.

Sync is then scored against each window's *own* events: a model that follows its guidance scores
well in ``normal``, near zero in ``off``, and at a chance level in ``swapped``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["VARIANTS", "VARIANT_LABELS", "check_variants", "derangement", "variant_guidance", "guidance_inputs"]

VARIANTS = ("normal", "off", "swapped")
VARIANT_LABELS = {"normal": "", "off": "guidance off", "swapped": "swapped guidance"}


def check_variants(variants) -> tuple[str, ...]:
    """``variants`` as a tuple; one-line ``ValueError`` unless a non-empty subset of :data:`VARIANTS`."""
    variants = tuple(variants)
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        what = f"unknown guidance variant(s) {', '.join(unknown)}" if unknown else "no guidance variant"
        raise ValueError(f"{what} — choose from {', '.join(VARIANTS)}")
    return variants


def derangement(groups, seed: int) -> np.ndarray:
    """A permutation ``perm [N]`` of the windows with no fixed point (window ``i`` takes the
    guidance of window ``perm[i]``): one random cycle through each group (class) with ≥ 2 windows;
    the windows alone in their group form one cycle among themselves, and a single such window is
    put into a random other window's cycle. ``groups`` [N]: any labels; ``seed`` fixes the draw."""
    groups = np.asarray(groups)
    n = len(groups)
    if n < 2:
        raise ValueError(f"swapping the guidance between windows needs ≥ 2 windows, got {n}")
    rng = np.random.default_rng(seed)
    perm = np.arange(n)
    singles = []
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        if len(idx) < 2:
            singles += idx.tolist()
            continue
        idx = rng.permutation(idx)
        perm[idx] = np.roll(idx, -1)
    if len(singles) >= 2:
        singles = rng.permutation(singles)
        perm[singles] = np.roll(singles, -1)
    elif len(singles) == 1:
        a = singles[0]
        b = int(rng.choice([i for i in range(n) if i != a]))
        perm[a], perm[b] = perm[b], a
    return perm


def variant_guidance(variant: str, p_act: list, fps, groups, seed: int) -> tuple[list, np.ndarray]:
    """The guidance of ``variant`` for N windows: ``(p_act list of N arrays [P_i], fps [N])`` from
    the windows' own ``p_act`` and ``fps``; ``groups`` [N] (classes) and ``seed`` drive the
    ``swapped`` derangement."""
    check_variants([variant])
    fps = np.asarray(fps, np.float32)
    if variant == "normal":
        return list(p_act), fps
    if variant == "off":
        return [np.zeros(max(1, len(p)), np.float32) for p in p_act], fps
    perm = derangement(groups, seed)
    return [p_act[j] for j in perm], fps[perm]


def guidance_inputs(p_act: list, fps, audio_cfg, codec=None) -> tuple[np.ndarray, np.ndarray]:
    """The generator's guidance inputs for a batch of windows: S_act ``[B, R, R, 3]`` and the
    action curve ``[B, R]`` (``action_spectrogram``) of ``p_act`` (B arrays, one value per frame
    pair; an empty one counts as P_act ≡ 0) at ``fps`` [B], for ``audio_cfg``'s geometry."""
    from foleygan_tf.models.action_spectrogram import action_spectrogram

    lengths = np.array([max(1, len(p)) for p in p_act], np.int32)
    p = np.zeros((len(p_act), int(lengths.max())), np.float32)
    for i, x in enumerate(p_act):
        p[i, : len(x)] = x
    s, steps = action_spectrogram(p, np.asarray(fps, np.float32), audio_cfg, lengths=lengths, codec=codec,
                                  with_steps=True)
    return np.asarray(s, np.float32), np.asarray(steps, np.float32)
