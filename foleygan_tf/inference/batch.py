"""``generate_videos``: ``FoleyPipeline.generate`` over several videos, as ``foleygan generate`` runs it.

Output naming: one video and an ``output`` that is not a folder → that file (``.mp4`` added when it
has no extension); several videos, an existing folder or a path ending in ``/`` → ``OUT/<stem>.mp4``
each (plus ``<stem>.wav`` / ``<stem>.png``). Temporaries a killed earlier run left beside these
outputs are removed first. A video that fails is reported and skipped when there are several; with
one video its error is raised.
"""

from __future__ import annotations

import os

__all__ = ["output_paths", "generate_videos", "format_result", "foley_demo"]


def output_paths(videos, output: str) -> list[str]:
    """The output file of each video (module docstring); ``ValueError`` on a collision."""
    as_dir = len(videos) > 1 or os.path.isdir(output) or output.endswith(os.sep)
    if not as_dir:
        return [output if os.path.splitext(output)[1] else output + ".mp4"]
    if os.path.exists(output) and not os.path.isdir(output):
        raise ValueError(f"{output}: exists and is not a directory (several videos need an output directory)")
    stems = [os.path.splitext(os.path.basename(v))[0] for v in videos]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        raise ValueError(f"several inputs share the name {dupes[0]!r}: their outputs would collide in {output}")
    outputs = [os.path.join(output, s + ".mp4") for s in stems]
    for video, out in zip(videos, outputs):
        if os.path.abspath(video) == os.path.abspath(out):
            raise ValueError(f"{out}: is the input video; refusing to overwrite it (choose another output)")
    return outputs


def format_result(video: str, r: dict) -> str:
    """One line describing a generated video (its class timeline: "footstep", "rain → thunder (2 shots)")."""
    extra = "".join(f", {k} {r[k]}" for k in ("wav", "plot") if r[k])
    return (f"{video} → {r['output']} ({r['classes']}{' given' if r['class_source'] == 'user' else ''}, "
            f"{r['duration']:.2f} s, {r['windows']} window(s), video {r['video']}, {r['seconds']:.1f} s{extra})")


def generate_videos(models_dir: str, videos, output: str, *, seed: int = 0, truncation: float | None = None,
                    class_name: str | None = None, pre_roll: float | None = None, wav: bool = False,
                    plot: bool = False, progress: bool = True, report=None, report_error=None) -> dict:
    """Generate a track for each of ``videos`` with the exported models of ``models_dir``.

    ``report(line)`` receives a line per generated video, ``report_error(line)`` one per failed
    video (default: none). Returns ``{"results": [(video, result dict)], "failed": [(video, message)]}``."""
    from foleygan_tf.atomic import remove_stale_temps
    from foleygan_tf.inference.pipeline import DEFAULT_PRE_ROLL, FoleyPipeline
    from foleygan_tf.progress import progress as progress_bar

    if pre_roll is not None and not 0.0 <= pre_roll < 1.0:
        raise ValueError(f"pre-roll {pre_roll}: must be in [0, 1) seconds")
    videos = list(videos)
    outputs = output_paths(videos, output)
    if len(outputs) > 1:
        try:
            os.makedirs(output, exist_ok=True)
        except OSError as err:
            raise ValueError(f"{output}: cannot create the output directory ({err.strerror or err})") from None
    # finished outputs are complete files (each is renamed into place once fully written);
    # a killed run may have left temporaries beside them
    remove_stale_temps([os.path.splitext(o)[0] + ext for o in outputs for ext in (os.path.splitext(o)[1], ".wav", ".png")])
    pipeline = FoleyPipeline.from_saved_models(models_dir, pre_roll=DEFAULT_PRE_ROLL if pre_roll is None else pre_roll)
    if class_name is not None:
        pipeline.class_index(class_name)  # unknown class: one line before any work
    report = report or (lambda line: None)
    report_error = report_error or (lambda line: None)
    done = {"results": [], "failed": []}
    for video, out in progress_bar(list(zip(videos, outputs)), desc="generate", unit="video", enabled=progress):
        try:
            r = pipeline.generate(video, out, seed=seed, truncation=truncation, class_name=class_name, wav=wav,
                                  plot=plot)
        except (ValueError, OSError) as err:  # OSError: FileNotFound, IsADirectory, Permission, …
            if len(outputs) == 1:
                raise
            done["failed"].append((video, str(err)))
            report_error(f"foleygan: error: {err}")
            continue
        done["results"].append((video, r))
        report(format_result(video, r))
    return done


def foley_demo(video: str, models_dir: str, out_dir: str, seed: int = 0) -> dict:
    """``foleygan demo``: ``OUT_DIR/demo.mp4`` (+ ``.wav``, ``.png``) for ``video``, and — when the
    video has a sidecar with events — the onsets of the generated track scored against them
    (±100 ms). Returns ``FoleyPipeline.generate``'s result plus ``"events"`` and ``"sync"``
    (onset scores, or ``None``)."""
    from foleygan_tf.audio import load_audio
    from foleygan_tf.audio.onsets import detect_onsets, onset_scores
    from foleygan_tf.data.sidecar import read_sidecar
    from foleygan_tf.inference.pipeline import FoleyPipeline

    if not os.path.isfile(video):
        raise FileNotFoundError(f"{video}: no such video")
    os.makedirs(out_dir, exist_ok=True)
    pipeline = FoleyPipeline.from_saved_models(models_dir)
    result = pipeline.generate(video, os.path.join(out_dir, "demo.mp4"), seed=seed, wav=True, plot=True)
    events = (read_sidecar(video) or {}).get("events")
    result["events"], result["sync"] = events, None
    if events:
        generated = load_audio(result["wav"], pipeline.sample_rate)
        result["sync"] = onset_scores(events, detect_onsets(generated, pipeline.sample_rate))
    return result
