"""Reading video frames and choosing which ones the TRNs see (paper §IV-A; reference/trn.md).

* :func:`read_frames` — every frame of a video file (any container/codec OpenCV reads, any fps,
  resolution or length) as uint8 RGB ``[T, H, W, 3]`` plus the frame rate.
* :func:`resize_frames` — resize to the backbone input side ``video.frame_size`` (square).
* :func:`resample_indices` — which source frames stand for a fixed frame rate (``prepare`` with
  ``video.frames_per_clip`` and ``FoleyPipeline`` before the TRN: the same rule, so the TRN sees
  frames at the rate it was trained at whatever the video's rate).
* :func:`tsn_indices` / :func:`tsn_indices_tf` — TSN segment sampling for the MTRN: the clip is
  split into ``num_segments`` equal segments; training picks a random frame in each segment,
  evaluation picks each segment's centre frame (the TRN reference's ``tick/2 + tick·i``).

Short clips (fewer frames than segments) are handled by **frame repetition**: segments are then
shorter than one frame, several segments fall on the same frame and the returned indices repeat
(e.g. 5 frames, 8 segments, evaluation → ``[0, 0, 1, 2, 2, 3, 4, 4]``; 1 frame → eight ``0``).
Indices are always non-decreasing (temporal order is kept, which the ordered TRN relations need);
with ``num_frames >= num_segments`` they are strictly increasing in both modes. A clip with 0
frames is an error.

Our choices where the references differ: TSN's training sampler uses ``num_frames // num_segments``
frames per segment and never samples the remainder at the clip end; we use the real-valued segment
boundaries ``floor(i·n/S)`` so the whole clip is covered. Resizing squashes the full frame to a
square (no crop): the sounding object may sit anywhere in the frame.
"""

from __future__ import annotations

import math
import os

import numpy as np

# File extensions read as videos where a folder is given (`prepare`'s class folders,
# `evaluate --videos DIR`).
VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ogv")

__all__ = ["read_frames", "resize_frames", "resample_indices", "trained_frame_rate", "tsn_indices", "tsn_indices_tf",
           "video_fps"]


def _fps_with_pyav(path: str) -> float:
    try:
        import av
    except ImportError:  # pragma: no cover - av is a pinned dependency
        return 0.0
    try:
        with av.open(path) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            return float(rate) if rate else 0.0
    except Exception:  # noqa: BLE001 - any decoding failure means "unknown"
        return 0.0


def video_fps(path: str | os.PathLike) -> float:
    """Frame rate of ``path`` (OpenCV, PyAV as fallback). ValueError naming the file if unknown."""
    import cv2

    path = os.fspath(path)
    cap = cv2.VideoCapture(path)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS)) if cap.isOpened() else 0.0
    finally:
        cap.release()
    if not (math.isfinite(fps) and fps > 0):
        fps = _fps_with_pyav(path)
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"{path}: cannot determine the video frame rate")
    return fps


def read_frames(path: str | os.PathLike, frame_size: int | None = None,
                max_frames: int | None = None) -> tuple[np.ndarray, float]:
    """Decode the video at ``path``.

    Args:
      path: a video file (mp4, avi, mkv, …).
      frame_size: if given, every frame is resized to ``frame_size × frame_size``.
      max_frames: if given, stop after this many frames.

    Returns:
      ``(frames, fps)``: ``frames`` uint8 RGB ``[T, H, W, 3]`` (``H = W = frame_size`` when set),
      ``fps`` the container's frame rate (float, e.g. 29.97).

    Raises:
      FileNotFoundError: ``path`` does not exist.
      ValueError: the file is not a readable video, has no decodable frame, or no frame rate; the
        message names the file.
    """
    import cv2

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such video file")
    if os.path.isdir(path):
        raise ValueError(f"{path}: is a directory, not a video file")
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise ValueError(f"{path}: cannot open as a video (unreadable or unsupported format)")
    frames = []
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        while max_frames is None or len(frames) < max_frames:
            ok, bgr = cap.read()
            if not ok or bgr is None:
                break
            if bgr.ndim == 2:  # grey-scale stream
                bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            if frame_size is not None:
                rgb = _resize(rgb, frame_size)
            frames.append(rgb)
    finally:
        cap.release()
    if not frames:
        raise ValueError(f"{path}: the video has no decodable frames")
    if not (math.isfinite(fps) and fps > 0):
        fps = _fps_with_pyav(path)
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"{path}: cannot determine the video frame rate")
    return np.stack(frames).astype(np.uint8, copy=False), fps


def _resize(frame: np.ndarray, size: int) -> np.ndarray:
    import cv2

    h, w = frame.shape[:2]
    if (h, w) == (size, size):
        return frame
    # INTER_AREA is the alias-free choice when shrinking, bilinear when enlarging.
    interp = cv2.INTER_AREA if (h > size or w > size) else cv2.INTER_LINEAR
    return cv2.resize(frame, (size, size), interpolation=interp)


def resize_frames(frames: np.ndarray, size: int) -> np.ndarray:
    """Resize uint8 ``[T, H, W, 3]`` frames to ``[T, size, size, 3]`` (squash, no crop)."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected frames [T, H, W, 3], got shape {frames.shape}")
    if frames.shape[0] == 0:
        return np.zeros((0, size, size, 3), dtype=frames.dtype)
    return np.stack([_resize(f, size) for f in frames])


def trained_frame_rate(frames_per_clip: int, clip_seconds: float) -> float:
    """The frame rate a TRN trained on shards of ``video.frames_per_clip`` frames per clip of
    ``clip_seconds`` expects (``prepare`` resampled its frames to it) — 0.0 when the shards kept
    the source rate (``frames_per_clip = 0``: the TRN saw every video at its own rate)."""
    return float(frames_per_clip) / float(clip_seconds) if frames_per_clip > 0 else 0.0


def resample_indices(count: int, target_fps: float, source_fps: float, num_source: int,
                     start: float = 0.0) -> np.ndarray:
    """Indices of the source frames shown nearest to the times ``start + i / target_fps``,
    ``i < count`` — int ``[count]``, clamped to ``[0, num_source − 1]``.

    Frame ``k`` of the source is presented at ``k / source_fps`` (the P_act convention, docs/trn.md),
    so output frame ``i`` stands for time ``start + i / target_fps`` exactly as a frame recorded at
    ``target_fps`` would. Up-sampling repeats frames, down-sampling drops them; nothing is blended.
    """
    if count < 1 or num_source < 1:
        raise ValueError(f"resample_indices needs count ≥ 1 and num_source ≥ 1, got {count}, {num_source}")
    if not (target_fps > 0 and source_fps > 0):
        raise ValueError(f"frame rates must be > 0, got target {target_fps}, source {source_fps}")
    times = start + np.arange(count) / float(target_fps)
    # + 1e-6: a time exactly half-way rounds up for every rate (floating noise must not decide)
    return np.clip(np.floor(times * float(source_fps) + 0.5 + 1e-6).astype(int), 0, num_source - 1)


def tsn_indices(num_frames: int, num_segments: int = 8, training: bool = False,
                rng: np.random.Generator | None = None, seed: int | None = None) -> np.ndarray:
    """TSN segment sampling: ``num_segments`` frame indices (int64, non-decreasing) of a clip.

    Segment ``i`` covers frames ``[floor(i·n/S), floor((i+1)·n/S))`` (``n = num_frames``,
    ``S = num_segments``).

    * evaluation (``training=False``): ``floor((i + 0.5)·n/S)``, the segment centre (deterministic);
    * training: a uniformly random frame of segment ``i`` (``rng``, else ``default_rng(seed)``).

    If ``n < S`` segments are shorter than a frame and frames repeat (see the module docstring).

    Raises:
      ValueError: ``num_frames < 1`` or ``num_segments < 1``.
    """
    n, s = int(num_frames), int(num_segments)
    if s < 1:
        raise ValueError(f"num_segments must be ≥ 1, got {num_segments}")
    if n < 1:
        raise ValueError(f"cannot sample {s} TSN segments from a clip with {n} frames (empty video)")
    i = np.arange(s, dtype=np.float64)
    width = n / s
    if not training:
        idx = np.floor((i + 0.5) * width)
    else:
        rng = rng if rng is not None else np.random.default_rng(seed)
        if n >= s:
            start = np.floor(i * width)
            stop = np.floor((i + 1) * width)  # ≥ start + 1 because width ≥ 1
            idx = start + np.floor(rng.random(s) * (stop - start))
        else:  # sub-frame segments: a random point of the segment, floored → frame repetition
            idx = np.floor((i + rng.random(s)) * width)
    return np.clip(idx, 0, n - 1).astype(np.int64)


def tsn_indices_tf(num_frames, num_segments: int = 8, training: bool = False, seed=None):
    """TensorFlow version of :func:`tsn_indices` for tf.data and inside models.

    Args:
      num_frames: int tensor (may be dynamic), ≥ 1 (checked with a ``tf.debugging`` assert):
        a scalar, or ``[batch]`` for per-example clip lengths (padded batches).
      num_segments: Python int.
      training: Python bool (random frame per segment) or False (segment centres).
      seed: for training: ``None`` (stateful ``tf.random.uniform``, fresh every call), a
        ``keras.random.SeedGenerator`` (fresh every call, reproducible from its seed), or a
        shape-[2] int tensor (stateless, fully determined by it).

    Returns:
      int32 ``[num_segments]`` frame indices (``[batch, num_segments]`` for ``[batch]`` input;
      per-example random draws in training).
    """
    import tensorflow as tf

    n = tf.cast(num_frames, tf.int32)
    tf.debugging.assert_greater_equal(
        n, 1, message="cannot sample TSN segments from a clip with 0 frames (empty video)")
    n = n[..., tf.newaxis]                                   # [..., 1]: scalar or per-example
    width = tf.cast(n, tf.float32) / float(num_segments)
    i = tf.range(num_segments, dtype=tf.float32)
    shape = tf.shape(i * width)                              # [S] or [B, S]
    if not training:
        idx = tf.floor((i + 0.5) * width)
    else:
        if seed is None:
            u = tf.random.uniform(shape, dtype=tf.float32)
        elif hasattr(seed, "next"):  # keras.random.SeedGenerator
            import keras

            u = keras.random.uniform(shape, seed=seed)
        else:
            u = tf.random.stateless_uniform(shape, seed=seed, dtype=tf.float32)
        start = tf.floor(i * width)
        stop = tf.floor((i + 1.0) * width)
        long_clip = start + tf.floor(u * (stop - start))
        short_clip = tf.floor((i + u) * width)
        idx = tf.where(n >= num_segments, long_clip, short_clip)
    return tf.clip_by_value(tf.cast(idx, tf.int32), 0, n - 1)
