"""Does ``foleygan generate``'s own path keep the onset sync measured on prepared windows?

``foleygan evaluate`` scores the generator on prepared shards — frames already resampled to the
TRN's training rate, 3 s windows cut by ``prepare``. This diagnostic scores what ``foleygan
generate`` does with a video file instead: decode the frames at the file's own rate, plan the
cross-faded windows, resample each window's frames for the TRN (``FoleyPipeline.trn_frames``),
generate, overlap-add — ``FoleyPipeline.synthesize``, i.e. the track ``generate`` muxes before
resampling to the container rate and loudness normalisation (neither moves an onset of the
per-clip-normalised detector by more than a sample). The ground truth is the ``synth-data``
sidecar ``<stem>.json`` (``events``, seconds) beside each video; videos whose sidecar lists no
event (the stationary classes) are left out.

:func:`video_sync` returns per-video onset scores (``foleygan_tf.audio.onsets.onset_scores``) and
their pooled P/R/F1 (summed counts) per class and overall.

``python -m research.sync.video_sync MODELS_DIR VIDEO|DIR … [--shards SHARDS] [--seed S] [--one-seed]
[--pre-roll S] [--json OUT]`` prints them; ``--shards`` keeps the videos of the shards' test split
(the held-out clips of a ``synth-data`` folder), ``--pre-roll 0`` drops the pipeline's lead-in.
"""

from __future__ import annotations

import os

from foleygan_tf.video.frames import VIDEO_EXTENSIONS

__all__ = ["event_videos", "split_videos", "video_sync", "format_video_sync"]


def _sidecar(video: str) -> tuple[str | None, list[float]]:
    """``(class, events)`` from the sidecar ``<stem>.json`` of ``video`` (one-line ``ValueError``
    when there is none or it lists no ``events``)."""
    from foleygan_tf.data.sidecar import read_sidecar, sidecar_path

    meta = read_sidecar(video)
    if meta is None:
        raise ValueError(f"{video}: no sidecar {os.path.basename(sidecar_path(video))} with the event times")
    if meta["events"] is None:
        raise ValueError(f"{sidecar_path(video)}: no 'events' list")
    return meta["class"], meta["events"]


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


def split_videos(videos, shards_dir: str, split: str = "test") -> list[str]:
    """The ``videos`` whose clip is in ``split`` of ``shards_dir`` (prepared from their folder:
    a window's ``clip_id`` is its video's path relative to the data folder)."""
    from foleygan_tf.data.pipeline import example_dataset

    ids = {e["clip_id"].numpy().decode() for e in example_dataset(shards_dir, split)}
    return [v for v in videos if any(v == c or v.endswith(os.sep + c) for c in ids)]


def video_sync(pipeline, videos, *, seed: int = 0, one_seed: bool = False, progress: bool = False) -> dict:
    """Generate a track for every video (``pipeline.synthesize``; the ``i``-th video with z seed
    ``seed + i``, so the score averages over z instead of riding on one draw; ``one_seed``:
    ``seed`` for every video) and score its onsets against the sidecar events (±100 ms).
    ``{"videos": [{"video", "seed", "class_name", "predicted_class", "fps", "seconds",
    **onset_scores}], "overall": pooled, "per_class": {class: pooled}, "trn_fps", "pre_roll"}`` —
    classes are the sidecars' true classes."""
    from tqdm import tqdm

    from foleygan_tf.audio.onsets import detect_onsets, onset_scores, pooled_onsets
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
    """``python -m research.sync.video_sync MODELS_DIR VIDEO|DIR … [--shards SHARDS] [--seed S]
    [--one-seed] [--pre-roll S] [--json OUT]``."""
    from foleygan_tf.cli import quiet_tensorflow

    quiet_tensorflow()
    import argparse

    from foleygan_tf.inference.pipeline import DEFAULT_PRE_ROLL, FoleyPipeline
    from research.sync.guidance_check import report

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models_dir")
    p.add_argument("videos", nargs="+", help="videos with synth-data sidecars, or folders of them")
    p.add_argument("--shards", default=None, metavar="SHARDS",
                   help="keep only the videos of this shards directory's test split (prepared from their folder)")
    p.add_argument("--seed", type=int, default=0, help="z seed of the first video; video i gets seed + i")
    p.add_argument("--one-seed", action="store_true", help="the same z seed for every video")
    p.add_argument("--pre-roll", type=float, default=None, metavar="SECONDS",
                   help="FoleyPipeline's pre_roll (default: its default, 0.25 s)")
    p.add_argument("--json")
    args = p.parse_args(argv)
    try:
        videos = event_videos(args.videos)
        if args.shards:
            videos = split_videos(videos, args.shards)
    except ValueError as e:
        p.error(str(e))
    if not videos:
        p.error("no video with sidecar events among " + " ".join(args.videos))
    pipeline = FoleyPipeline.from_saved_models(
        args.models_dir, pre_roll=DEFAULT_PRE_ROLL if args.pre_roll is None else args.pre_roll)
    result = video_sync(pipeline, videos, seed=args.seed, one_seed=args.one_seed, progress=True)
    report(format_video_sync(result), result, args.json)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
