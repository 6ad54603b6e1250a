"""SavedModel export of the trained video action-recognition block (``foleygan export trn``).

:func:`export_trn` loads a ``foleygan train trn`` run directory (``load_trn``, deterministic MTRN)
and writes a SavedModel that needs neither this package nor Keras to run
(``tf.saved_model.load(path).signatures["serving_default"]``).

``serving_default`` (also the module's ``serve`` function):

inputs
  ``frames``  uint8 ``[batch, time, height, width, 3]`` — decoded RGB frames, any T ≥ 1, any H×W
              (resized in the graph to ``video.frame_size``², antialiased bilinear, no crop —
              exactly what the Keras model does with such frames).
  ``fps``     float32 ``[batch]`` — frame rate of each clip (places P_act on the audio timeline).

  A TRN trained on resampled shards (``video.frames_per_clip`` > 0, e.g. 24 fps at the
  ``bundled`` preset) learned its pair timing at that rate: feed it frames at the metadata's
  ``frame_rate`` (``foleygan_tf.video.frames.resample_indices``, the rule ``prepare`` used), as
  ``FoleyPipeline`` does. Frames at another rate run, but the P_act they give is off the
  distribution the generator was trained on (docs/inference.md).

outputs
  ``class_probs``        float32 ``[batch, C]`` — MTRN class probabilities (deterministic mode).
  ``class_index``        int32 ``[batch]`` — argmax of ``class_probs``.
  ``class_name``         string ``[batch]`` — its name.
  ``p_act``              float32 ``[batch, max(T, 2) − 1]`` — P_act(t) per consecutive frame pair,
                         following the predicted class (stretched by ``trn.pact_gain``).
  ``action_spectrogram`` float32 ``[batch, R, R, 3]`` in [-1, 1] — S_act (docs/trn.md).
  ``action_curve``       float32 ``[batch, R]`` — P_act resampled to the R spectrogram columns.

Short clips: fewer than ``video.num_segments`` frames → TSN segments repeat frames in order; a
1-frame clip is repeated to 2 frames (one pair). A clip with 0 frames is an
``InvalidArgumentError`` naming the problem. Same input → same output (the MTRN's deterministic
mode; nothing random in the graph).

Besides the graph: ``assets/foleygan_trn.json`` (:data:`TRN_METADATA_NAME`; class names, config,
signature description — reachable after loading as ``loaded.metadata_file.asset_path``) and the
variable ``loaded.class_names`` (string ``[C]``).

The export is written to a temporary folder beside ``OUT_DIR``, loaded back and run once on a
1-frame clip, then installed as ``OUT_DIR`` (``foleygan_tf.atomic.atomic_directory``; a previous
SavedModel there is replaced, any other existing content is refused), so ``OUT_DIR`` is never
half-written.
"""

from __future__ import annotations

import os
import tempfile
import time

import tensorflow as tf

from foleygan_tf.atomic import atomic_directory, write_json
from foleygan_tf.video.frames import trained_frame_rate

__all__ = ["export_trn", "TRNServingModule", "TRN_METADATA_NAME"]

TRN_METADATA_NAME = "foleygan_trn.json"
FORMAT = "foleygan_tf.trn_savedmodel"
FORMAT_VERSION = 1

OUTPUTS = {
    "class_probs": "float32 [batch, C] MTRN class probabilities (deterministic mode)",
    "class_index": "int32 [batch] predicted class",
    "class_name": "string [batch] predicted class name",
    "p_act": "float32 [batch, max(T,2)-1] P_act per consecutive frame pair (predicted class)",
    "action_spectrogram": "float32 [batch, R, R, 3] S_act in [-1, 1]",
    "action_curve": "float32 [batch, R] P_act resampled to the R spectrogram columns",
}
INPUTS = {
    "frames": "uint8 [batch, time, height, width, 3] decoded RGB frames (T >= 1, any size), at the "
              "metadata's frame_rate when it is > 0 (resample with the nearest-frame rule)",
    "fps": "float32 [batch] frame rate of each clip (the frame_rate above when it is > 0)",
}


class TRNServingModule(tf.Module):
    """The exported graph: an :class:`ActionRecognizer` (deterministic) + the action spectrogram.

    ``serve(frames uint8 [B, T, H, W, 3], fps float32 [B])`` → dict of the module docstring's
    outputs. Usable in Python before export too (same function)."""

    def __init__(self, model, config, metadata_path: str | None = None):
        super().__init__(name="foleygan_trn")
        from foleygan_tf.models.action_spectrogram import ActionSpectrogram

        self.model = model
        # Track the raw tf.Variables too: without this, a Keras 3 model inside a tf.Module loads
        # with tf.saved_model.load but not through the TF1 session path of TF Serving /
        # `saved_model_cli run` ("Could not find variable bn3/moving_variance", keras#20095).
        self.tf_variables = [v.value for v in model.variables]
        self.action = ActionSpectrogram(config.audio, name="action_spectrogram")
        self.frame_size = int(config.video.frame_size)
        self.class_names = tf.Variable(list(config.class_names), trainable=False, dtype=tf.string,
                                       name="class_names")
        if metadata_path is not None:
            self.metadata_file = tf.saved_model.Asset(metadata_path)

    def _fit_frames(self, frames):
        """uint8 ``[B, T, H, W, 3]`` → ``[B, T, S, S, 3]`` (resized only when H×W ≠ S×S)."""
        s = self.frame_size
        shape = tf.shape(frames)

        def resize():
            flat = tf.reshape(frames, tf.concat([[-1], shape[2:]], axis=0))
            flat = tf.image.resize(flat, (s, s), antialias=True)
            flat = tf.cast(tf.clip_by_value(tf.round(flat), 0.0, 255.0), tf.uint8)
            return tf.reshape(flat, tf.stack([shape[0], shape[1], s, s, 3]))

        def keep():
            return tf.reshape(frames, tf.stack([shape[0], shape[1], s, s, 3]))

        fitted = tf.cond(tf.logical_and(tf.equal(shape[2], s), tf.equal(shape[3], s)), keep, resize)
        return tf.ensure_shape(fitted, [None, None, s, s, 3])

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, None, 3], tf.uint8, name="frames"),
                                  tf.TensorSpec([None], tf.float32, name="fps")])
    def serve(self, frames, fps):
        shape = tf.shape(frames)
        checks = [
            tf.debugging.assert_positive(shape[1], message="frames: the clip has no frame (time axis is empty)"),
            tf.debugging.assert_positive(tf.minimum(shape[2], shape[3]), message="frames: empty images"),
            tf.debugging.assert_equal(tf.size(fps), shape[0], message="fps: one value per clip of the batch"),
            tf.debugging.assert_positive(fps, message="fps must be > 0"),
        ]
        with tf.control_dependencies(checks):
            x = self._fit_frames(tf.identity(frames))
        out = self.model.predict_actions(x, deterministic=True)
        act = self.action(out["p_act"], fps)
        index = tf.cast(out["class_index"], tf.int32)
        return {
            "class_probs": tf.cast(out["class_probs"], tf.float32),
            "class_index": index,
            "class_name": tf.gather(self.class_names, index),
            "p_act": tf.cast(out["p_act"], tf.float32),
            "action_spectrogram": tf.cast(act["s_act"], tf.float32),
            "action_curve": tf.cast(act["p_act_steps"], tf.float32),
        }


def _metadata(config, run_dir: str) -> dict:
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "block": "trn",
        "class_names": list(config.class_names), "num_classes": int(config.num_classes),
        "frame_size": int(config.video.frame_size), "num_segments": int(config.video.num_segments),
        "image_size": int(config.audio.image_size), "sample_rate": int(config.audio.sample_rate),
        "clip_samples": int(config.audio.clip_samples), "encoding": config.audio.encoding,
        # the rate the TRN was trained at (prepare resampled every video to it): feed it frames at
        # this rate; 0 = it saw every video at the video's own rate
        "frame_rate": trained_frame_rate(config.video.frames_per_clip, config.audio.clip_seconds),
        "deterministic": True,
        "signature": {"name": "serving_default", "inputs": INPUTS, "outputs": OUTPUTS},
        "short_clips": "T < num_segments: TSN segments repeat frames in order; T = 1: repeated to 2 "
                       "frames (one pair); T = 0: InvalidArgumentError",
        "source_run_dir": os.path.abspath(run_dir),
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": config.to_dict(),
    }


def _is_saved_model(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "saved_model.pb"))


def export_trn(run_dir: str, out_dir: str, verify: bool = True, pact_gain: float | None = None) -> dict:
    """Export the TRN block of ``run_dir`` (``foleygan train trn``) as a SavedModel in ``out_dir``.

    ``pact_gain`` replaces the run's ``trn.pact_gain`` (P_act's stretch around chance,
    ``models.trn.stretch_pact``): the gain does not take part in training, so one run can be
    exported with the gain measured for it after training, or with 1 to compare.
    Returns the metadata dict (also written to ``out_dir/assets/foleygan_trn.json``).
    Raises ``FileNotFoundError`` for a missing run directory, ``ValueError`` when ``out_dir``
    exists and is neither empty nor a SavedModel or for a gain ≤ 0."""
    from foleygan_tf.config import Config
    from foleygan_tf.training.trn import load_trn

    out = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out) and not (os.path.isdir(out) and (not os.listdir(out) or _is_saved_model(out))):
        raise ValueError(f"{out_dir}: exists and is not a SavedModel directory; refusing to overwrite it")
    model = load_trn(run_dir, deterministic=True)
    config = Config.load(os.path.join(run_dir, "config.json"))
    if pact_gain is not None:
        config.trn.pact_gain = float(pact_gain)
        config.validate()
        model.pact_gain = config.trn.pact_gain
    meta = _metadata(config, run_dir)
    with atomic_directory(out) as tmp, tempfile.TemporaryDirectory(prefix="foleygan_trn_meta_") as staging:
        meta_path = os.path.join(staging, TRN_METADATA_NAME)
        write_json(meta_path, meta)
        module = TRNServingModule(model, config, metadata_path=meta_path)
        tf.saved_model.save(module, tmp, signatures={"serving_default": module.serve})
        if verify:
            loaded = tf.saved_model.load(tmp)
            s = int(config.video.frame_size)
            got = loaded.signatures["serving_default"](frames=tf.zeros([1, 1, s, s, 3], tf.uint8),
                                                       fps=tf.constant([float(config.video.num_segments)]))
            if got["class_probs"].shape != (1, config.num_classes) or got["p_act"].shape != (1, 1):
                raise RuntimeError(f"exported SavedModel {tmp} answered with unexpected shapes: "
                                   f"{ {k: tuple(v.shape) for k, v in got.items()} }")
    return meta

