"""How far can the pictures' motion alone time real sound?

The 2TRN times the generated sound from motion (its stream reads frame differences). Before a
richer motion stream is built (the TRN paper's optical-flow stream), this asks what motion curves
read by hand from the frames give on videos with their own recorded sound, scored with
``foleygan evaluate --videos``'s measure (``evaluation.real_video``). Per video, three curves:

* **frame difference** — the measure's own baseline (``frame_difference_onsets``, 96 px grey);
* **flow speed** — Farnebäck optical flow (OpenCV) of consecutive grey frames at ``side``² px; per
  frame pair the :data:`SPEED_PERCENTILE`-th percentile of the speed, so that the fastest-moving
  part of the picture (a hammer, a ball, a mouth) counts and not the area it covers;
* **flow rise** — the positive change of the flow speed (a motion starting).

Each curve (at the video's frame rate) gives onsets as the baseline's does (``curve_onsets``); they are scored against the video's real onsets (``match_scores``,
±100 ms) and against the *next* video's (sorted order, both cut to the shorter: the mismatched
reference, what chance timing at this onset density gets), and the curve, interpolated to the
onset-envelope frames, is correlated with the real track's onset envelope (Pearson r at lag 0).

``python -m research.sync.motion_onsets VIDEO|DIR … [--side 128] [--json OUT]`` prints a line per
video and the means.
"""

from __future__ import annotations

import numpy as np

__all__ = ["flow_speed", "motion_curves", "curve_scores", "real_clips", "own_and_next", "mean_scores", "motion_onsets",
           "format_motion_onsets"]

SPEED_PERCENTILE = 99
# OpenCV's documented example settings: pyramid scale 0.5, 3 levels, 15 px window, 3 iterations,
# polynomial neighbourhood 5 with sigma 1.2
FARNEBACK = dict(pyr_scale=0.5, levels=3, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0)
CURVES = ("frame difference", "flow speed", "flow rise")


def flow_speed(frames) -> np.ndarray:
    """The :data:`SPEED_PERCENTILE`-th percentile of the optical-flow speed (px per frame) of
    each pair ``(t−1, t)`` of RGB frames ``[T, H, W, 3]`` (uint8), at frame ``t``; ``[T]``
    (frame 0 copies frame 1)."""
    import cv2

    grey = [cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY) for f in frames]
    speed = np.zeros(len(grey), np.float32)
    for t in range(1, len(grey)):
        flow = cv2.calcOpticalFlowFarneback(grey[t - 1], grey[t], None, **FARNEBACK)
        speed[t] = np.percentile(np.hypot(flow[..., 0], flow[..., 1]), SPEED_PERCENTILE)
    if len(speed) > 1:
        speed[0] = speed[1]
    return speed


def motion_curves(clip, frames) -> dict:
    """``{name: Onsets}`` for the :data:`CURVES` of a ``RealClip`` whose frames at the flow's side
    are ``frames`` ``[T, S, S, 3]``."""
    from foleygan_tf.evaluation.real_video import curve_onsets

    speed = flow_speed(frames)
    rise = np.concatenate([[0.0], np.maximum(0.0, np.diff(speed))]).astype(np.float32)
    return {"frame difference": clip.difference, "flow speed": curve_onsets(speed, clip.fps),
            "flow rise": curve_onsets(rise, clip.fps)}


def curve_scores(curve, real, seconds: float) -> dict:
    """A motion curve's ``Onsets`` against a real track's ``Onsets`` over the first ``seconds``:
    ``match_scores`` + ``envelope_r`` (the curve interpolated to the envelope's frames)."""
    from foleygan_tf.audio.onsets import Onsets
    from foleygan_tf.evaluation.action_sync import pearson
    from foleygan_tf.evaluation.real_video import match_scores

    def cut(o: Onsets) -> Onsets:
        n = int(np.floor(seconds * o.rate)) + 1
        return Onsets(o.envelope[:n], o.rate, o.frames[o.frames < n])

    curve, real = cut(curve), cut(real)
    scores = match_scores(real, curve)
    at = np.interp(np.arange(len(real.envelope)) / real.rate, np.arange(len(curve.envelope)) / curve.rate,
                   curve.envelope)
    r = pearson(at.astype(np.float64), real.envelope.astype(np.float64))
    return dict(scores, envelope_r=0.0 if r is None else r)


def real_clips(videos) -> tuple[list, list]:
    """``(clips, onsets)``: each video with its own sound decoded (``load_real_clip``, one-line
    errors) and the onsets of its recorded track; at least 2 videos (the mismatched reference
    needs another clip)."""
    from foleygan_tf.evaluation.real_video import load_real_clip, track_onsets

    videos = list(videos)
    if len(videos) < 2:
        raise ValueError("the mismatched reference needs at least 2 videos")
    clips = [load_real_clip(v) for v in videos]
    return clips, [track_onsets(c.real) for c in clips]


def own_and_next(curve, clips, onsets, i: int) -> dict:
    """A curve's ``Onsets`` read on ``clips[i]`` scored (:func:`curve_scores`) against that
    clip's recorded track (``"own"``) and against the next clip's (``"mismatched"``, sorted order,
    the last against the first; both cut to the shorter)."""
    j = (i + 1) % len(clips)
    return {"own": curve_scores(curve, onsets[i], clips[i].duration),
            "mismatched": curve_scores(curve, onsets[j], min(clips[i].duration, clips[j].duration))}


def mean_scores(scored) -> dict:
    """``{"f1", "mismatched_f1", "envelope_r"}``: means over a list of :func:`own_and_next` results."""
    scored = list(scored)
    return {"f1": float(np.mean([s["own"]["f1"] for s in scored])),
            "mismatched_f1": float(np.mean([s["mismatched"]["f1"] for s in scored])),
            "envelope_r": float(np.mean([s["own"]["envelope_r"] for s in scored]))}


def motion_onsets(videos, side: int = 128, progress: bool = False) -> dict:
    """``{"side", "videos": [{"video", "fps", "real_onsets", "curves": {name: {"own": …,
    "mismatched": …}}}], "mean": {name: {"f1", "mismatched_f1", "envelope_r"}}}`` for the videos
    (≥ 2: the mismatched reference needs another clip)."""
    from tqdm import tqdm

    from foleygan_tf.video.frames import read_frames

    clips, real = real_clips(videos)          # every input checked before the flow work
    rows = []
    for i, clip in enumerate(tqdm(clips, desc="videos", unit="video", disable=not progress)):
        curves = motion_curves(clip, read_frames(clip.path, frame_size=side)[0])
        rows.append({"video": clip.path, "fps": clip.fps, "real_onsets": len(real[i].frames),
                     "curves": {name: own_and_next(c, clips, real, i) for name, c in curves.items()}})
    mean = {name: mean_scores(r["curves"][name] for r in rows) for name in CURVES}
    return {"side": side, "videos": rows, "mean": mean}


def format_motion_onsets(result: dict) -> str:
    lines = [f"motion curves as onsets (flow at {result['side']} px): F1 vs the video's own track "
             "(vs the next video's) and envelope r"]
    rows = [(r["video"].rsplit("/", 1)[-1], {n: {"f1": c["own"]["f1"], "mismatched_f1": c["mismatched"]["f1"],
                                                  "envelope_r": c["own"]["envelope_r"]}
                                              for n, c in r["curves"].items()}) for r in result["videos"]]
    for name, curves in rows + [("mean", result["mean"])]:
        cells = " | ".join(f"{n} F1 {c['f1']:.2f} ({c['mismatched_f1']:.2f}) r {c['envelope_r']:+.2f}"
                           for n, c in curves.items())
        lines.append(f"{name[:32]:32s} {cells}")
    return "\n".join(lines)


def main(argv=None) -> int:
    import argparse

    from foleygan_tf.evaluation.real_video import video_files
    from research.sync.guidance_check import report

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("videos", nargs="+", help="videos with their own recorded sound, or folders of them")
    p.add_argument("--side", type=int, default=128, help="frame side (px) of the optical flow (default 128)")
    p.add_argument("--json")
    args = p.parse_args(argv)
    try:
        result = motion_onsets(video_files(args.videos), args.side, progress=True)
    except (ValueError, FileNotFoundError) as e:
        p.error(str(e))
    report(format_motion_onsets(result), result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
