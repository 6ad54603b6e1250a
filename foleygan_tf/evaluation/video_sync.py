"""Onset sync of the product path: ``FoleyPipeline`` on whole video files (issue #7's acceptance).

:mod:`guidance_check` scores the generator on prepared shards — frames already resampled to the
TRN's training rate, 3 s windows cut by ``prepare``. This module scores what ``foleygan
generate`` does with a video file instead: decode the frames at the file's own rate, plan the
cross-faded windows, resample each window's frames for the TRN (``FoleyPipeline.trn_frames``),
generate, overlap-add — ``FoleyPipeline.synthesize``, i.e. the track ``generate`` muxes before
resampling to the container rate and loudness normalisation (neither moves an onset of the
per-clip-normalised detector by more than a sample). The ground truth is the ``synth-data``
sidecar ``<stem>.json`` (``events``, seconds) beside each video; videos whose sidecar lists no
event (the stationary classes) are left out.

:func:`video_sync` returns per-video :func:`~foleygan_tf.evaluation.sync.onset_scores` and their
pooled P/R/F1 (summed counts, :func:`~foleygan_tf.evaluation.guidance_check.pooled_onsets`) per
class and overall. ``python -m foleygan_tf.evaluation.video_sync MODELS_DIR VIDEO|DIR …
[--seed S] [--one-seed] [--native-fps] [--pre-roll S] [--json OUT]`` prints them; ``--native-fps`` feeds the TRN the
video's own frame rate (``FoleyPipeline(resample_frames=False)``, the skew before session 7),
``--pre-roll 0`` drops the pipeline's lead-in.
"""

from __future__ import annotations

import json
import os

__all__ = ["event_videos", "video_sync", "format_video_sync"]

VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".webm")


def _sidecar(video: str) -> tuple[str | None, list[float]]:
    """``(class, events)`` from the synth-data sidecar ``<stem>.json`` of ``video``."""
    sidecar = os.path.splitext(video)[0] + ".json"
    try:
        with open(sidecar) as f:
            meta = json.load(f)
        return meta.get("class"), [float(t) for t in meta["events"]]
    except FileNotFoundError:
        raise ValueError(f"{video}: no sidecar {os.path.basename(sidecar)} with the event times") from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{sidecar}: not a synth-data sidecar with an 'events' list ({e})") from None


def event_videos(paths) -> list[str]:
    """Videos with a non-empty sidecar event list among ``paths`` (files, or folders searched
    recursively), sorted. ``ValueError`` naming the path for a missing path or a video without
    sidecar."""
    found = []
    for path in paths:
        path = os.fspath(path)
        if os.path.isdir(path):
            for root, _, files in os.walk(path):
                found += [os.path.join(root, f) for f in files if f.lower().endswith(VIDEO_EXTENSIONS)]
        elif os.path.isfile(path):
            found.append(path)
        else:
            raise ValueError(f"{path}: no such video or folder")
    return sorted(v for v in set(found) if _sidecar(v)[1])


def video_sync(pipeline, videos, *, seed: int = 0, one_seed: bool = False, progress: bool = False) -> dict:
    """Generate a track for every video (``pipeline.synthesize``; the ``i``-th video with z seed
    ``seed + i``, as ``guidance_check`` seeds its windows, so the score averages over z instead of
    riding on one draw; ``one_seed``: ``seed`` for every video) and score its onsets against the
    sidecar events (±100 ms).
    ``{"videos": [{"video", "seed", "class_name", "predicted_class", "fps", "seconds",
    **onset_scores}], "overall": pooled, "per_class": {class: pooled}, "trn_fps", "pre_roll"}`` —
    classes are the sidecars' true classes."""
    from tqdm import tqdm

    from foleygan_tf.evaluation.guidance_check import pooled_onsets
    from foleygan_tf.evaluation.sync import detect_onsets, onset_scores
    from foleygan_tf.video.frames import read_frames

    rows = []
    for i, video in enumerate(tqdm(list(videos), desc="videos", unit="video", disable=not progress)):
        true_class, events = _sidecar(video)
        frames, fps = read_frames(video, frame_size=pipeline.frame_size)
        z_seed = seed if one_seed else seed + i
        result = pipeline.synthesize(frames, fps, seed=z_seed)
        scores = onset_scores(events, detect_onsets(result["wave"], pipeline.sample_rate))
        rows.append({"video": video, "seed": z_seed, "class_name": true_class,
                     "predicted_class": result["class_name"], "fps": float(fps), "seconds": frames.shape[0] / fps,
                     **scores})
    by_class: dict[str, list] = {}
    for r in rows:
        by_class.setdefault(r["class_name"], []).append(r)
    return {"videos": rows, "overall": pooled_onsets(rows),
            "per_class": {c: pooled_onsets(v) for c, v in sorted(by_class.items())},
            "trn_fps": pipeline.trn_fps, "pre_roll": pipeline.pre_roll}


def format_video_sync(result: dict) -> str:
    o = result["overall"]
    rate = f"{result['trn_fps']:g} fps" if result["trn_fps"] > 0 else "the videos' own rate"
    return "\n".join([
        f"{len(result['videos'])} videos, {o['num_reference']} events, TRN frames at {rate}: "
        f"onset P {o['precision']:.2f} / R {o['recall']:.2f} / F1 {o['f1']:.2f} (±100 ms)",
        "per class F1 " + ", ".join(f"{c} {v['f1']:.2f}" for c, v in result["per_class"].items())])


def main(argv=None) -> int:
    """``python -m foleygan_tf.evaluation.video_sync MODELS_DIR VIDEO|DIR … [--seed S] [--one-seed]
    [--native-fps] [--pre-roll S] [--json OUT]``."""
    import argparse

    from foleygan_tf.evaluation.guidance_check import report
    from foleygan_tf.inference.pipeline import DEFAULT_PRE_ROLL, FoleyPipeline

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models_dir")
    p.add_argument("videos", nargs="+", help="videos with synth-data sidecars, or folders of them")
    p.add_argument("--seed", type=int, default=0, help="z seed of the first video; video i gets seed + i")
    p.add_argument("--one-seed", action="store_true", help="the same z seed for every video")
    p.add_argument("--native-fps", action="store_true",
                   help="feed the TRN the videos' own frame rate instead of its training rate")
    p.add_argument("--pre-roll", type=float, default=None, metavar="SECONDS",
                   help="FoleyPipeline's pre_roll (default: its default, 0.25 s)")
    p.add_argument("--json")
    args = p.parse_args(argv)
    try:
        videos = event_videos(args.videos)
    except ValueError as e:
        p.error(str(e))
    if not videos:
        p.error("no video with sidecar events among " + " ".join(args.videos))
    pipeline = FoleyPipeline.from_saved_models(
        args.models_dir, resample_frames=not args.native_fps,
        pre_roll=DEFAULT_PRE_ROLL if args.pre_roll is None else args.pre_roll)
    result = video_sync(pipeline, videos, seed=args.seed, one_seed=args.one_seed, progress=True)
    report(format_video_sync(result), result, args.json)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
