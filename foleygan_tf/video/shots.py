"""Shot cuts: where a video changes scene, from its colour histograms (numpy/OpenCV).

``FoleyPipeline`` pools the MTRN's class probabilities within each shot, so the class of a long
video changes at its scene changes and not from window to window (docs/inference.md "Class per
shot").

The method, per frame ``t`` of ``[T, H, W, 3]`` uint8 RGB frames at ``fps``:

1. a joint RGB histogram ``h[t]`` of :data:`HISTOGRAM_BINS`³ cells with soft (trilinear) binning
   (frames larger than :data:`HISTOGRAM_SIDE` px are first shrunk to it), normalised to sum 1;
2. the **jump** ``d[t] = TV(h[t − 1], h[t])`` — the total-variation distance ½ Σ |a − b| ∈ [0, 1]
   of consecutive frames (0: same colours, 1: no colour in common);
3. the **persistence** ``p[t] = min TV(h[j], h[i])`` over every frame ``j`` of the ``K`` before
   ``t`` and every frame ``i`` of ``t … t + K − 1``, ``K = round(`` :data:`CONTEXT_S` ``· fps)``
   frames (at least 1; fewer at the video's ends): how far the colours of *every* frame of the next
   half second are from those of *every* frame of the half second before. A flash (a lightning
   strike decaying over a few tenths of a second, a muzzle flash) or an object crossing the frame
   makes jumps, at its start and at its end, but on one side of each a frame like one on the
   other side;
4. ``t`` is a candidate cut when ``d[t] ≥`` :data:`JUMP_THRESHOLD` and ``p[t] ≥``
   :data:`PERSISTENCE_THRESHOLD`; candidates are kept strongest ``p`` first, each at least
   :data:`MIN_SHOT_S` from every kept cut.

Limits: a cut between two shots with the same colour distribution is not found (their windows are
then pooled into one class), and a gradual transition (a fade or dissolve) has no jump, so it is not
a cut either: the class then changes nowhere — the safe failure for a sound track.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["HISTOGRAM_BINS", "HISTOGRAM_SIDE", "CONTEXT_S", "JUMP_THRESHOLD", "PERSISTENCE_THRESHOLD",
           "MIN_SHOT_S", "colour_histograms", "cut_strengths", "detect_cuts", "shot_bounds"]

HISTOGRAM_BINS = 4              # per channel: 64 joint RGB cells (enough pixels per cell at 32×32 px)
HISTOGRAM_SIDE = 64             # frames are shrunk to at most this side before the histogram
CONTEXT_S = 0.5                 # the persistence compares this much video before and after
# Measured on the 12 synthetic scenes at 32×32 px (3 clips each; tests/test_shots.py checks 2): inside a
# scene the jump reaches 0.10 (fire) and 0.78 (a lightning flash) but the persistence stays < 0.01;
# where two scenes are joined min(jump, persistence) is ≥ 0.29 for all 132 ordered pairs (rain →
# waterfall, the closest colours). No cut is found in single-shot real footage either.
JUMP_THRESHOLD = 0.2
PERSISTENCE_THRESHOLD = 0.25
MIN_SHOT_S = 1.0                # cuts closer than this: the weaker is dropped (a TRN window is 3 s)


def colour_histograms(frames: np.ndarray) -> np.ndarray:
    """Joint RGB histograms of uint8 frames ``[T, H, W, 3]`` → float64 ``[T, HISTOGRAM_BINS³]``,
    each summing to 1. Soft (trilinear) binning: a channel value between two bin centres is shared
    between them in proportion, so a colour drifting across a bin edge (a dissolve, a flat wall in
    changing light) moves the mass gradually instead of all at once."""
    import cv2

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected uint8 RGB frames [T, H, W, 3], got {frames.dtype} {frames.shape}")
    bins = HISTOGRAM_BINS
    h, w = frames.shape[1:3]
    scale = HISTOGRAM_SIDE / max(h, w)
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        frames = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])
    pixels = frames.reshape(len(frames), -1, 3)
    u = np.clip(pixels.astype(np.float64) * bins / 256.0 - 0.5, 0.0, bins - 1.0)     # [T, P, 3] bin position
    lo = np.minimum(np.floor(u).astype(np.int64), bins - 2)
    frac = u - lo
    first = np.arange(len(frames))[:, None] * bins ** 3                                # each frame's cells
    out = np.zeros(len(frames) * bins ** 3)
    for corner in range(8):                                                            # the 8 neighbouring cells
        up = [(corner >> c) & 1 for c in range(3)]
        cell = first + ((lo[..., 0] + up[0]) * bins + lo[..., 1] + up[1]) * bins + lo[..., 2] + up[2]
        weight = np.prod([frac[..., c] if up[c] else 1.0 - frac[..., c] for c in range(3)], axis=0)
        out += np.bincount(cell.ravel(), weights=weight.ravel(), minlength=out.size)
    return out.reshape(len(frames), bins ** 3) / pixels.shape[1]


def _tv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 0.5 * np.abs(a - b).sum(axis=-1)


def cut_strengths(frames: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """``(jump [T], persistence [T])`` of the module docstring; the persistence is computed where
    the jump reaches :data:`JUMP_THRESHOLD` (0 elsewhere, and both are 0 at frame 0)."""
    hist = colour_histograms(frames)
    n = len(hist)
    jump, persistence = np.zeros(n), np.zeros(n)
    if n < 2:
        return jump, persistence
    jump[1:] = _tv(hist[1:], hist[:-1])
    k = max(1, int(round(CONTEXT_S * float(fps))))
    for t in np.flatnonzero(jump >= JUMP_THRESHOLD):
        before, after = hist[max(0, t - k): t], hist[t: t + k]
        persistence[t] = _tv(before[:, None], after[None]).min()
    return jump, persistence


def detect_cuts(frames: np.ndarray, fps: float) -> list[int]:
    """Indices ``t`` (ascending) of the frames that start a new shot (frame ``t`` is the first of
    the shot; 0 is never a cut). ``frames``: uint8 RGB ``[T, H, W, 3]`` at ``fps`` frames/s."""
    fps = float(fps)
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps}")
    jump, persistence = cut_strengths(frames, fps)
    candidates = np.flatnonzero((jump >= JUMP_THRESHOLD) & (persistence >= PERSISTENCE_THRESHOLD))
    min_gap = MIN_SHOT_S * fps
    kept: list[int] = []
    for t in sorted(candidates, key=lambda t: (-persistence[t], t)):
        if all(abs(int(t) - c) >= min_gap for c in kept):
            kept.append(int(t))
    return sorted(kept)


def shot_bounds(cuts, num_frames: int) -> list[tuple[int, int]]:
    """``[(first, stop), …]`` frame ranges of the shots between ``cuts`` in a clip of
    ``num_frames`` frames."""
    edges = [0] + [int(c) for c in cuts if 0 < int(c) < num_frames] + [int(num_frames)]
    return list(zip(edges[:-1], edges[1:]))
