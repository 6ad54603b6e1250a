"""Can a motion model trained on the synthetic windows time real sound, free of the class?

The 2TRN's ``P_act`` is the probability of the clip's class per frame pair; on real footage of
actions outside the 12 classes the class is wrong and ``P_act`` stays near chance
(``real_timing``). This trains a small **class-free** event detector on the windows of prepared
shards and reads it on videos with their own sound:

* **model** (:func:`build_detector`) — per consecutive frame pair, a CNN on the pixel
  difference ``(frame_t+1 − frame_t) / 255`` (what the 2TRN's motion stream reads, at the shards'
  frame size): three stride-2 and one stride-1 3×3 convolutions with ReLU (widths
  :data:`WIDTHS`), average and max pooling concatenated; then two 1-D convolutions of width 3 over
  the pairs (±2 pairs of context) and a sigmoid: ``[B, T, S, S, 3]`` uint8 → ``[B, T − 1]``;
* **target** — the audio-onset weight ``w`` of each pair (``audio.onsets.pair_onset_weights``,
  the self-supervised target of the audio-onset 2TRN without its class), binary cross-entropy;
* **scores** — on the shards' test windows the Pearson r of the detector's output with ``w``
  over all pairs; on each video (frames at the shards' size and rate) the output as a curve at
  frame ``t + 1``, read and scored exactly as ``research.sync.motion_onsets`` reads a motion
  curve (onsets against the video's own track and the next video's, envelope r).

With ``--models DIR`` the detector also stands in for the 2TRN of exported models: on each video
its curve, stretched by the gain that puts its mean per-window peak on the test windows onto the
targets' (``pact_calibration.peak_ratio``, synthetic windows only) and mapped to the scale G was
trained on (``1/C + (1 − 1/C)·e``, ``audio.onsets.onset_weights_to_pact``), replaces ``P_act`` —
the MTRN still picks the class — and the generated track is scored with ``foleygan evaluate
--videos``'s ``score_track``: what the models' sound would gain from a class-free 2TRN.

``python -m research.sync.event_detector SHARDS_DIR VIDEO|DIR … [--models DIR] [--epochs 6]
[--windows 1400] [--seed 0] [--json OUT]`` prints the synthetic r, a line per video and the means.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["build_detector", "pair_targets", "train_detector", "detector_curve", "detector_pipeline",
           "event_detector", "format_event_detector"]

WIDTHS = (16, 32, 64, 64)
BATCH = 8
LEARNING_RATE = 1e-3


@functools.cache
def _detector_class():
    # defined on first use: importing this module must not import TensorFlow (main quiets its
    # start-up log first)
    import keras
    import tensorflow as tf

    class PairEventDetector(keras.Model):
        """Class-free event probability per consecutive frame pair (module docstring)."""

        def __init__(self, frame_size: int, **kwargs):
            super().__init__(**kwargs)
            self.frame_size = int(frame_size)
            self.convs = [keras.layers.Conv2D(w, 3, strides=2 if i < len(WIDTHS) - 1 else 1, padding="same",
                                              activation="relu", name=f"conv{i + 1}") for i, w in enumerate(WIDTHS)]
            self.context = keras.layers.Conv1D(64, 3, padding="same", activation="relu", name="context")
            self.event = keras.layers.Conv1D(1, 3, padding="same", activation="sigmoid", name="event")

        def call(self, frames):
            clip = tf.cast(frames, tf.float32)
            shape = tf.shape(clip)
            x = tf.reshape((clip[:, 1:] - clip[:, :-1]) / 255.0, [-1, self.frame_size, self.frame_size, 3])
            for conv in self.convs:
                x = conv(x)
            x = tf.concat([tf.reduce_mean(x, [1, 2]), tf.reduce_max(x, [1, 2])], axis=-1)
            x = tf.reshape(x, tf.stack([shape[0], shape[1] - 1, 2 * WIDTHS[-1]]))
            return self.event(self.context(x))[..., 0]

    return PairEventDetector


def build_detector(frame_size: int):
    """The class-free event detector (module docstring): uint8 frames ``[B, T, S, S, 3]`` (T ≥ 2,
    ``S = frame_size``) → float32 ``[B, T − 1]`` in (0, 1)."""
    return _detector_class()(frame_size)


def pair_targets(windows, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """``(frames uint8 [N, T, S, S, 3], w float32 [N, T − 1])`` of windows (``load_windows``),
    all cut to the shortest one's frames and samples."""
    from foleygan_tf.audio.onsets import pair_onset_weights

    t = min(len(w["frames"]) for w in windows)
    n = min(len(w["wave"]) for w in windows)
    if t < 2:
        raise ValueError("the windows need at least 2 frames (one pair)")
    fps = windows[0]["fps"]
    frames = np.stack([w["frames"][:t] for w in windows])
    weights = pair_onset_weights(np.stack([w["wave"][:n] for w in windows]), fps, t - 1, sample_rate)
    return frames, np.asarray(weights, np.float32)


def train_detector(frames, weights, *, epochs: int, seed: int = 0, verbose: int = 0):
    """A detector (:func:`build_detector`) fitted to ``weights`` (binary cross-entropy, Adam, batches of
    :data:`BATCH` windows, shuffled)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = build_detector(frames.shape[2])
    model.compile(keras.optimizers.Adam(LEARNING_RATE), keras.losses.BinaryCrossentropy())
    ds = (tf.data.Dataset.from_tensor_slices((frames, weights)).shuffle(len(frames), seed=seed)
          .batch(BATCH, drop_remainder=len(frames) >= BATCH).prefetch(2))
    model.fit(ds, epochs=epochs, verbose=verbose, shuffle=False)      # shuffled above, per epoch
    return model


def detector_curve(model, frames) -> np.ndarray:
    """The detector over one video's frames ``[T, S, S, 3]``: the pair ``(t − 1, t)``'s event
    probability at frame ``t``, ``[T]`` (frame 0 copies frame 1)."""
    p = np.asarray(model(frames[None]))[0]
    return np.concatenate([p[:1], p]).astype(np.float32)


def detector_pipeline(models_dir: str, model, gain: float):
    """The ``FoleyPipeline`` of ``models_dir`` with the detector's curve in place of the 2TRN's
    ``P_act`` (module docstring): per window ``1/C + (1 − 1/C)·clip(gain·e, 0, 1)`` and the
    action spectrogram and curve made from it; the class probabilities stay the MTRN's."""
    import cv2
    import tensorflow as tf

    from foleygan_tf.audio.onsets import onset_weights_to_pact
    from foleygan_tf.config import Config
    from foleygan_tf.inference.pipeline import FoleyPipeline
    from foleygan_tf.models.action_spectrogram import ActionSpectrogram

    class DetectorPipeline(FoleyPipeline):
        def _run_trn(self, frames, fps):
            out, rate = super()._run_trn(frames, fps)
            clip, _ = self.trn_frames(frames, fps)
            size = model.frame_size
            clip = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in clip])
            clip = clip if len(clip) > 1 else np.concatenate([clip, clip])      # one pair at least
            events = np.clip(self.event_gain * np.asarray(model(clip[None]))[0], 0.0, 1.0)
            p_act = onset_weights_to_pact(events[None], len(self.class_names))
            act = self.action(p_act, tf.constant([rate], tf.float32))
            return dict(out, p_act=np.asarray(p_act)[0], action_spectrogram=act["s_act"].numpy()[0],
                        action_curve=act["p_act_steps"].numpy()[0]), rate

    pipe = DetectorPipeline.from_saved_models(models_dir)
    pipe.action = ActionSpectrogram(Config.from_dict(pipe.trn_meta["config"]).audio)
    pipe.event_gain = float(gain)
    return pipe


def _through_generator(models_dir, model, predicted, targets, clips) -> dict:
    """The generated tracks of :func:`detector_pipeline` scored; the gain from the detector's
    output ``predicted`` and the ``targets`` on the test windows (``[N, P]`` each)."""
    from foleygan_tf.audio.onsets import onset_weights_to_pact
    from foleygan_tf.evaluation.real_video import BANDWIDTH_RATE, score_track
    from research.sync.pact_calibration import peak_ratio

    pipe = detector_pipeline(models_dir, model, 1.0)
    num_classes = len(pipe.class_names)
    ratio = peak_ratio(list(np.asarray(onset_weights_to_pact(predicted, num_classes))),
                       list(np.asarray(onset_weights_to_pact(targets, num_classes))), num_classes)["ratio"]
    pipe.event_gain = gain = 1.0 if ratio is None else ratio
    rows = []
    for i, clip in enumerate(clips):
        s = score_track(clip, pipe.render(clip.path, BANDWIDTH_RATE)["track"], BANDWIDTH_RATE,
                        clips[(i + 1) % len(clips)])
        rows.append({"video": clip.path, "f1": s["own"]["f1"], "mismatched_f1": s["mismatched"]["f1"],
                     "envelope_r": s["own"]["envelope_r"], "bandwidth_hz": s["bandwidth_hz"]})
    keys = ("f1", "mismatched_f1", "envelope_r", "bandwidth_hz")
    return {"models": models_dir, "gain": gain, "videos": rows,
            "mean": {k: float(np.mean([r[k] for r in rows if r[k] is not None])) for k in keys}}


def event_detector(train_windows, test_windows, videos, sample_rate: int, *, epochs: int = 6, seed: int = 0,
                   models: str | None = None, progress: bool = False) -> dict:
    """Train on ``train_windows``, score on ``test_windows`` (r with the targets) and on
    ``videos`` (≥ 2, with their own sound); with ``models`` (an exported models folder) also the
    generated tracks with the detector as P_act. Returns ``{"epochs", "seed", "train_windows",
    "synthetic_r", "videos": [{"video", "own", "mismatched", "curve_mean", "curve_max"}],
    "mean": {"f1", "mismatched_f1", "envelope_r"}[, "through_generator": {"models", "gain",
    "videos", "mean"}]}``."""
    from tqdm import tqdm

    from foleygan_tf.evaluation.action_sync import pearson
    from foleygan_tf.evaluation.real_video import curve_onsets
    from foleygan_tf.inference.pipeline import frames_for_trn
    from foleygan_tf.video.frames import read_frames
    from research.sync.motion_onsets import mean_scores, own_and_next, real_clips

    clips, real = real_clips(videos)          # every input checked before training
    frames, weights = pair_targets(train_windows, sample_rate)
    model = train_detector(frames, weights, epochs=epochs, seed=seed, verbose=2 if progress else 0)
    test_frames, test_weights = pair_targets(test_windows, sample_rate)
    predicted = np.concatenate([np.asarray(model(test_frames[i:i + 32])) for i in range(0, len(test_frames), 32)])
    synthetic_r = pearson(predicted.ravel().astype(np.float64), test_weights.ravel().astype(np.float64))
    del frames
    size, rate = model.frame_size, float(train_windows[0]["fps"])
    rows = []
    for i, clip in enumerate(tqdm(clips, desc="videos", unit="video", disable=not progress)):
        video_frames, fps = frames_for_trn(*read_frames(clip.path, frame_size=size), rate)
        curve = detector_curve(model, video_frames)
        rows.append({"video": clip.path, **own_and_next(curve_onsets(curve, fps), clips, real, i),
                     "curve_mean": float(curve.mean()), "curve_max": float(curve.max())})
    result = {"epochs": epochs, "seed": seed, "train_windows": len(weights),
              "synthetic_r": 0.0 if synthetic_r is None else synthetic_r, "videos": rows, "mean": mean_scores(rows)}
    if models is not None:
        result["through_generator"] = _through_generator(models, model, predicted, test_weights, clips)
    return result


def format_event_detector(result: dict) -> str:
    lines = [f"class-free event detector ({result['train_windows']} training windows, {result['epochs']} epochs, "
             f"seed {result['seed']}): r with the audio-onset targets on the test windows "
             f"{result['synthetic_r']:.2f}; its curve as onsets, F1 vs the video's own track (vs the next video's) "
             "and envelope r"]
    for r in result["videos"]:
        lines.append(f"{r['video'].rsplit('/', 1)[-1][:32]:32s} F1 {r['own']['f1']:.2f} ({r['mismatched']['f1']:.2f}) "
                     f"r {r['own']['envelope_r']:+.2f} (curve mean {r['curve_mean']:.2f}, max {r['curve_max']:.2f})")
    m = result["mean"]
    lines.append(f"{'mean':32s} F1 {m['f1']:.2f} ({m['mismatched_f1']:.2f}) r {m['envelope_r']:+.2f}")
    if "through_generator" in result:
        g = result["through_generator"]
        lines.append(f"the detector as P_act of {g['models']} (gain {g['gain']:.2f}): generated track F1 vs the "
                     "video's own track (vs the next video's), envelope r, bandwidth")
        for r in g["videos"] + [{"video": "mean", **g["mean"]}]:
            lines.append(f"{r['video'].rsplit('/', 1)[-1][:32]:32s} F1 {r['f1']:.2f} ({r['mismatched_f1']:.2f}) "
                         f"r {r['envelope_r']:+.2f} bandwidth {(r['bandwidth_hz'] or 0) / 1000:.1f} kHz")
    return "\n".join(lines)


def main(argv=None) -> int:
    from foleygan_tf.cli import quiet_tensorflow

    quiet_tensorflow()
    import argparse

    from foleygan_tf.evaluation.real_video import video_files
    from research.sync.guidance_check import report

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("shards", metavar="SHARDS_DIR", help="prepared shards (train and test splits)")
    p.add_argument("videos", nargs="+", help="videos with their own recorded sound, or folders of them")
    p.add_argument("--models", help="an exported models folder: also score its sound with the detector as P_act")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--windows", type=int, default=1400, help="training windows (the first N of the train split)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json")
    args = p.parse_args(argv)
    from foleygan_tf.data.pipeline import read_manifest
    from foleygan_tf.inference.exports import require_exported
    from research.sync.guidance_check import load_windows

    try:
        files = video_files(args.videos)
        sample_rate = int(read_manifest(args.shards)["sample_rate"])
        train, test = load_windows(args.shards, "train", args.windows), load_windows(args.shards, "test")
        if not train or not test:
            raise ValueError(f"{args.shards}: needs windows in both the train and the test split")
        if args.models is not None:
            require_exported(args.models)
        result = event_detector(train, test, files, sample_rate, epochs=args.epochs, seed=args.seed,
                                models=args.models, progress=True)
    except (ValueError, FileNotFoundError) as e:
        p.error(str(e))
    report(format_event_detector(result), result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
