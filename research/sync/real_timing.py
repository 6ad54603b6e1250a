"""What limits sound that follows real footage: the TRN's timing, or the measure's precision?

``foleygan evaluate --videos`` scores a generated track against the video's own recorded track.
The generator places onsets where the 2TRN's ``P_act`` tells it to, so two questions come first:

1. **Does the TRN see the real events at all?** ``P_act`` of a TRN SavedModel over each video
   (3 s windows at the TRN's rate, half-overlapping, averaged where they overlap) read as an onset
   detector: its peaks above ``median + 2·std`` of the video's curve as onsets, scored against the
   real track's onsets exactly as a generated track is (``evaluation.real_video.match_scores``,
   ±100 ms), and the Pearson r at lag 0 of the curve (interpolated to the onset-envelope frames)
   with the real track's onset envelope.
2. **How precise must timing be for the envelope correlation?** The real track scored against
   itself delayed by a few milliseconds: onset F1 and envelope r (``pair_scores``, the same
   measure). One video frame is 33–42 ms at 24–30 fps.

``python -m research.sync.real_timing TRN_SAVED_MODEL VIDEO|DIR … [--shifts-ms 12,23,46,100] [--json OUT]``
prints both per video and their means.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pact_curve", "pact_scores", "shifted_self_scores", "real_timing", "format_real_timing"]

PEAK_STD = 2.0          # a P_act peak counts as an onset above median + PEAK_STD · std of the curve


def pact_curve(serve, frames: np.ndarray, fps: float, window: int) -> np.ndarray:
    """``P_act`` at every frame ``[T]`` (pair ``(t−1, t)`` → frame ``t``; frame 0 copies frame 1) of
    uint8 ``frames [T, H, W, 3]`` at the TRN's rate ``fps``: windows of ``window`` frames with
    hop ``window // 2`` (the last one ends on the last frame), averaged where they overlap."""
    import tensorflow as tf

    n = len(frames)
    total, count = np.zeros(n), np.zeros(n)
    starts = list(range(0, max(1, n - window + 1), max(1, window // 2)))
    if starts[-1] + window < n:
        starts.append(n - window)
    for s in starts:
        out = serve(frames=tf.constant(frames[None, s:s + window]), fps=tf.constant([fps], tf.float32))
        p = out["p_act"].numpy()[0]
        total[s + 1:s + 1 + len(p)] += p
        count[s + 1:s + 1 + len(p)] += 1
    curve = total / np.maximum(count, 1)
    curve[0] = curve[1] if n > 1 else curve[0]
    return curve


def pact_scores(curve: np.ndarray, fps: float, real) -> dict:
    """``curve`` (:func:`pact_curve`) as onsets against ``real`` (``Onsets`` of the recorded track):
    ``match_scores`` + ``envelope_r`` + the curve's mean and max."""
    from foleygan_tf.audio.onsets import Onsets
    from foleygan_tf.evaluation.action_sync import pearson
    from foleygan_tf.evaluation.real_video import match_scores

    threshold = float(np.median(curve) + PEAK_STD * curve.std())
    peaks = [i for i in range(1, len(curve) - 1)
             if curve[i] >= threshold and curve[i] >= curve[i - 1] and curve[i] > curve[i + 1]]
    scores = match_scores(real, Onsets(curve.astype(np.float32), float(fps), np.asarray(peaks, int)))
    times = np.arange(len(real.envelope)) / real.rate
    r = pearson(real.envelope.astype(np.float64), np.interp(times, np.arange(len(curve)) / fps, curve))
    return {**scores, "envelope_r": 0.0 if r is None else r, "mean": float(curve.mean()), "max": float(curve.max())}


def shifted_self_scores(wave: np.ndarray, shift_ms: float) -> dict:
    """The real track (at ``SCORE_RATE``) scored against itself delayed by ``shift_ms``."""
    from foleygan_tf.evaluation.real_video import SCORE_RATE, pair_scores

    k = int(round(SCORE_RATE * shift_ms / 1000.0))
    delayed = np.concatenate([np.zeros(k, wave.dtype), wave[: len(wave) - k]])
    return pair_scores(wave, delayed)


def real_timing(trn_dir: str, videos, shifts_ms=(12, 23, 46, 100), progress: bool = False) -> dict:
    """``{"videos": [{"video", "pact": pact_scores, "shifted": {ms: pair_scores}}], "mean": …}``."""
    import tensorflow as tf
    from tqdm import tqdm

    from foleygan_tf.evaluation.real_video import load_real_clip, track_onsets
    from foleygan_tf.inference.exports import saved_model_metadata
    from foleygan_tf.inference.pipeline import frames_for_trn, trn_frame_rate
    from foleygan_tf.video.frames import read_frames

    loaded = tf.saved_model.load(trn_dir)
    meta = saved_model_metadata(loaded, trn_dir)
    rate = trn_frame_rate(meta)
    if rate <= 0:
        raise ValueError(f"{trn_dir}: the TRN was trained at the videos' own rates; this diagnostic needs a fixed rate")
    window = int(round(rate * meta["clip_samples"] / meta["sample_rate"]))
    serve = loaded.signatures["serving_default"]
    rows = []
    for video in tqdm(list(videos), desc="videos", unit="video", disable=not progress):
        clip = load_real_clip(video)
        real = track_onsets(clip.real)
        frames, _ = frames_for_trn(*read_frames(video, frame_size=int(meta["frame_size"])), rate)
        rows.append({"video": video, "pact": pact_scores(pact_curve(serve, frames, rate, window), rate, real),
                     "shifted": {float(ms): shifted_self_scores(clip.real, ms) for ms in shifts_ms}})
    mean = {"pact": {k: float(np.mean([r["pact"][k] for r in rows])) for k in ("f1", "envelope_r", "mean", "max")},
            "shifted": {float(ms): {k: float(np.mean([r["shifted"][float(ms)][k] for r in rows]))
                                    for k in ("f1", "envelope_r")} for ms in shifts_ms}}
    return {"trn": trn_dir, "frame_rate": rate, "videos": rows, "mean": mean}


def format_real_timing(result: dict) -> str:
    lines = [f"TRN {result['trn']} at {result['frame_rate']:g} fps; P_act as onsets (peaks > median + "
             f"{PEAK_STD:g}·std) and the real track against itself delayed:"]
    shifts = list(result["mean"]["shifted"])
    for row in result["videos"] + [{"video": "mean", **result["mean"]}]:
        p = row["pact"]
        cells = " ".join(f"{ms:g} ms F1 {row['shifted'][ms]['f1']:.2f} r {row['shifted'][ms]['envelope_r']:.2f}"
                         for ms in shifts)
        lines.append(f"{row['video'].rsplit('/', 1)[-1][:32]:32s} P_act F1 {p['f1']:.2f} r {p['envelope_r']:+.2f} "
                     f"(mean {p['mean']:.2f}, max {p['max']:.2f}) | self {cells}")
    return "\n".join(lines)


def main(argv=None) -> int:
    from foleygan_tf.cli import quiet_tensorflow

    quiet_tensorflow()
    import argparse

    from foleygan_tf.evaluation.real_video import video_files
    from research.sync.guidance_check import report

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("trn_dir", metavar="TRN_SAVED_MODEL")
    p.add_argument("videos", nargs="+", help="videos with their own recorded sound, or folders of them")
    p.add_argument("--shifts-ms", default="12,23,46,100")
    p.add_argument("--json")
    args = p.parse_args(argv)
    try:
        shifts = [float(s) for s in args.shifts_ms.split(",") if s.strip()]
        result = real_timing(args.trn_dir, video_files(args.videos), shifts, progress=True)
    except (ValueError, FileNotFoundError) as e:
        p.error(str(e))
    report(format_real_timing(result), result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
