"""``ActionRecognizer``: the video action-recognition block (paper §IV-A, Algorithm 1 lines 1–3).

Frames → a frame backbone (``foleygan_tf.video.features``) → ``V_t`` → the MTRN on the TSN segment
frames (clip class ``C(V)``) and the 2TRN on every consecutive frame pair (``P_act``).

Training happens in two **stages** (§V-B: "We train event class prediction MTRN network, the
consecutive action prediction 2TRN network … separately"), each with its own optimizer and epochs
(``foleygan_tf.training.trn.fit_trn``):

1. ``"class"`` — backbone + projection + MTRN on the cross-entropy of the clip class;
2. ``"pair"`` — the 2TRN (and, with ``pair_input="rgb_difference"``, its motion stream) on the pair
   loss; the backbone and projection trained in stage 1 are frozen and run in inference mode, so
   both TRNs read the same frame features ``V_t`` as in Algorithm 1.

The pair loss is the cross-entropy of every pair against the clip's class (``trn.pair_target =
"clip_class"``, the paper) or, given per-pair weights ``w`` in [0, 1] (``"audio_onsets"``: how
strongly an onset of the window's real audio falls on the pair), against the soft label
``w·onehot(class) + (1 − w)·uniform`` (docs/trn.md).
"""

from __future__ import annotations

import keras
from keras import ops

from foleygan_tf.config import MOTION_ALIGNMENTS
from foleygan_tf.models.trn import (FrameProjection, MultiScaleTRN, PairTRN, action_curve, stretch_pact,
                                   with_seed_states)

__all__ = ["ActionRecognizer", "TRAINING_STAGES"]

TRAINING_STAGES = ("class", "pair")


@keras.saving.register_keras_serializable(package="foleygan_tf")
class ActionRecognizer(keras.Model):
    """Video action recognition: frames → class logits C(V) and pair logits (→ P_act).

    ``frames`` uint8 ``[batch, T, H, W, 3]`` (any T ≥ 1, e.g. all frames of a clip; frames of
    another size than ``frame_size`` are resized in the graph) →
    ``{"class_logits": [batch, num_classes], "pair_logits": [batch, max(T, 2) − 1, num_classes]}``.
    Padded batches of clips of different lengths: pass ``{"frames": …, "num_frames": [batch]}``
    (see :meth:`call`). A one-frame clip is repeated to two frames (one pair).

    Sub-networks (weights created at construction): ``encoder`` (the frame backbone),
    ``projection`` (TSN head), ``mtrn``, ``pair_trn`` and, for ``pair_input="rgb_difference"``,
    ``motion_encoder`` — the names of schema-1 weight files, which load unchanged.

    Args:
      num_classes: classes.
      num_segments: TSN segments the MTRN relates (8: relations up to R_8).
      frame_size, backbone, feature_dim, imagenet_weights: the frame backbone (``video.*``).
      projection_dim, dropout: the TSN head (``trn.*``).
      mlp_units, mtrn_g_layers, relations_per_scale: the MTRN (``trn.*``); the 2TRN's g has two
        ``mlp_units`` layers.
      pair_input: ``"concat"``, ``"difference"`` or ``"rgb_difference"`` (``trn.pair_input``).
      motion_alignment: ``"none"`` or ``"translation"``: the motion stream's frame ``t+1`` moved
        back by the camera's shift first (``trn.motion_alignment``, :mod:`foleygan_tf.video.stabilize`).
      pact_gain: P_act as :meth:`predict_actions` returns it, stretched around chance
        (``trn.pact_gain``, :func:`foleygan_tf.models.trn.stretch_pact`; 1 = the raw probability).
      deterministic: the MTRN's expected-value mode (inference, exports).
      seed: seed of the relation and segment draws.
    """

    def __init__(self, num_classes: int, *, num_segments: int = 8, frame_size: int = 224, backbone: str = "resnet50",
                 feature_dim: int = 2048, imagenet_weights: str = "", projection_dim: int = 256,
                 dropout: float = 0.8, mlp_units: int = 256, mtrn_g_layers: int = 2, relations_per_scale: int = 3,
                 pair_input: str = "concat", motion_alignment: str = "none", pact_gain: float = 1.0,
                 deterministic: bool = False, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        from foleygan_tf.video.features import build_frame_encoder, build_motion_encoder

        self.num_classes = int(num_classes)
        self.num_segments, self.frame_size = int(num_segments), int(frame_size)
        self.backbone, self.feature_dim, self.imagenet_weights = str(backbone), int(feature_dim), str(imagenet_weights)
        self.projection_dim, self.dropout, self.mlp_units = int(projection_dim), float(dropout), int(mlp_units)
        self.mtrn_g_layers, self.relations_per_scale = int(mtrn_g_layers), int(relations_per_scale)
        self.pair_input, self.motion_alignment = str(pair_input), str(motion_alignment)
        if self.motion_alignment not in MOTION_ALIGNMENTS:
            raise ValueError(f"motion_alignment must be one of {MOTION_ALIGNMENTS}, got {motion_alignment!r}")
        self.pact_gain = float(pact_gain)
        if not self.pact_gain > 0:
            raise ValueError(f"pact_gain must be > 0, got {pact_gain!r}")
        self.deterministic, self.seed = bool(deterministic), seed
        self.stage = TRAINING_STAGES[0]
        self.encoder = build_frame_encoder(self.backbone, self.frame_size, self.feature_dim, self.imagenet_weights,
                                           name="frame_encoder")
        self.projection = FrameProjection(self.projection_dim, self.dropout, name="projection")
        self.mtrn = MultiScaleTRN(self.num_segments, self.projection_dim, self.num_classes, mlp_units=self.mlp_units,
                                  g_layers=self.mtrn_g_layers, relations_per_scale=self.relations_per_scale,
                                  deterministic=self.deterministic, seed=seed, name="mtrn")
        self.pair_trn = PairTRN(num_classes=self.num_classes, mlp_units=self.mlp_units, pair_input=self.pair_input,
                                name="pair_trn")
        # pair_input = "rgb_difference": the 2TRN reads a motion stream of its own (a small CNN on
        # the pixel difference of each consecutive pair, docs/trn.md) instead of the backbone.
        self.motion_encoder = (build_motion_encoder(self.frame_size, self.feature_dim, name="motion_encoder")
                               if self.pair_input == "rgb_difference" else None)
        self.segment_seed = keras.random.SeedGenerator(None if seed is None else seed + 1, name="segment_seed")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_metric = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        self.pair_accuracy_metric = keras.metrics.SparseCategoricalAccuracy(name="pair_accuracy")
        self.projection.build((None, None, self.encoder.output_shape[-1]))
        self.mtrn.build((None, self.num_segments, self.projection_dim))
        pair_dim = self.projection_dim if self.motion_encoder is None else self.motion_encoder.output_shape[-1]
        self.pair_trn.build((None, None, pair_dim))
        self.built = True

    def build(self, input_shape=None):
        # Every weight exists since construction.
        self.built = True

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        children = super()._trackable_children(save_type, **kwargs)
        return with_seed_states(children, save_type, {"segment_seed": self.segment_seed})

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "num_segments": self.num_segments,
                "frame_size": self.frame_size, "backbone": self.backbone, "feature_dim": self.feature_dim,
                # the trained weights travel with the model, not the ImageNet file
                "imagenet_weights": "", "projection_dim": self.projection_dim, "dropout": self.dropout,
                "mlp_units": self.mlp_units, "mtrn_g_layers": self.mtrn_g_layers,
                "relations_per_scale": self.relations_per_scale, "pair_input": self.pair_input,
                "motion_alignment": self.motion_alignment, "pact_gain": self.pact_gain,
                "deterministic": self.deterministic, "seed": self.seed}

    # ---- training stages ---------------------------------------------------------------------
    def set_stage(self, stage: str) -> None:
        """Select what ``train_step`` trains (:data:`TRAINING_STAGES`); compile afterwards, with
        the stage's own optimizer (``compile`` also drops the traced step of the other stage)."""
        if stage not in TRAINING_STAGES:
            raise ValueError(f"training stage must be one of {TRAINING_STAGES}, got {stage!r}")
        self.stage = stage

    def stage_variables(self, stage: str | None = None) -> list:
        """The trainable variables of a training stage (default: the current one)."""
        stage = stage or self.stage
        if stage == "class":
            return self.encoder.trainable_variables + self.projection.trainable_variables + \
                self.mtrn.trainable_variables
        pair = self.pair_trn.trainable_variables
        return pair + (self.motion_encoder.trainable_variables if self.motion_encoder is not None else [])

    # ---- forward ----------------------------------------------------------------------------
    def _backbone(self, frames, training):
        """uint8 ``[B, T, S, S, 3]`` (already :meth:`_resized`) → backbone features ``[B, T, F]``."""
        import tensorflow as tf

        shape = tf.shape(frames)
        feats = self.encoder(tf.reshape(frames, [-1, self.frame_size, self.frame_size, 3]), training=training)
        return tf.reshape(feats, tf.stack([shape[0], shape[1], tf.shape(feats)[-1]]))

    def _resized(self, frames):
        """uint8 clips ``[B, T, H, W, 3]`` → ``[B, T, S, S, 3]`` (``S = frame_size``), once per call
        for both the backbone and the motion stream; a no-op for frames of that size."""
        import tensorflow as tf

        if frames.shape[2] != self.frame_size or frames.shape[3] != self.frame_size:
            shape = tf.shape(frames)
            flat = tf.reshape(frames, tf.concat([[-1], shape[2:]], axis=0))
            flat = tf.image.resize(flat, (self.frame_size, self.frame_size), antialias=True)
            flat = tf.cast(tf.clip_by_value(tf.round(flat), 0.0, 255.0), tf.uint8)
            frames = tf.reshape(flat, tf.stack([shape[0], shape[1], self.frame_size, self.frame_size, 3]))
        return tf.ensure_shape(frames, (None, None, self.frame_size, self.frame_size, 3))

    def _motion_features(self, frames, training):
        """uint8 frames ``[B, T, S, S, 3]`` (already :meth:`_resized`) → motion-stream features
        ``[B, T − 1, 2d]``: the motion encoder on ``(frame_t+1 − frame_t) / 255`` (frame ``t+1``
        moved back by the camera's shift first with ``motion_alignment="translation"``)."""
        import tensorflow as tf

        shape = tf.shape(frames)
        clip = tf.cast(frames, tf.float32)
        if self.motion_alignment == "translation":
            from foleygan_tf.video.stabilize import aligned_differences, max_camera_shift

            diff = aligned_differences(clip, max_camera_shift(self.frame_size)) / 255.0
        else:
            diff = (clip[:, 1:] - clip[:, :-1]) / 255.0
        feats = self.motion_encoder(tf.reshape(diff, [-1, self.frame_size, self.frame_size, 3]), training=training)
        return tf.reshape(feats, tf.stack([shape[0], shape[1] - 1, tf.shape(feats)[-1]]))

    def _pair_logits(self, frames, training):
        """The 2TRN's logits ``[B, T − 1, C]``; the backbone and projection in inference mode
        (frozen in the pair stage; no dropout noise in ``F_t+1 − F_t``)."""
        if self.motion_encoder is not None:
            return self.pair_trn(self._motion_features(frames, training))
        return self.pair_trn(self.projection(self._backbone(frames, False), training=False))

    def call(self, inputs, training=None, deterministic=None, heads=("class", "pair")):
        """``inputs``: uint8 frames ``[B, T, H, W, 3]``, or a dict ``{"frames": …, "num_frames":
        int [B]}`` for padded batches of clips of different lengths: frames past ``num_frames`` are
        ignored (replaced by the last real frame), TSN segments are drawn per example within its
        own length, and the output gains ``"num_pairs"`` [B] (valid pairs, ``max(n, 2) − 1``).
        ``heads``: which of ``"class"``/``"pair"`` to compute (training computes its stage's)."""
        import tensorflow as tf

        from foleygan_tf.video.frames import tsn_indices_tf

        frames, num_frames = (inputs["frames"], inputs.get("num_frames")) if isinstance(inputs, dict) else (inputs, None)
        training = bool(training)
        frames = self._resized(tf.convert_to_tensor(frames))   # once, for every stream
        t = tf.shape(frames)[1]
        t2 = tf.maximum(t, 2)  # one-frame clips are repeated to two frames: one pair exists
        out = {}
        if num_frames is None:
            lengths = None
            frames = tf.gather(frames, tf.minimum(tf.range(t2), t - 1), axis=1)
        else:
            lengths = tf.clip_by_value(tf.cast(tf.reshape(num_frames, [-1]), tf.int32), 1, t)
            frames = tf.gather(frames, tf.minimum(tf.range(t2)[None, :], lengths[:, None] - 1), batch_dims=1)
            out["num_pairs"] = tf.maximum(lengths, 2) - 1
        if "class" in heads:
            seed = self.segment_seed if training else None
            if lengths is None:
                seg = tsn_indices_tf(t2, self.num_segments, training=training, seed=seed)              # [S]
                segments = tf.gather(frames, seg, axis=1)
            else:
                seg = tsn_indices_tf(tf.maximum(lengths, 2), self.num_segments, training=training, seed=seed)
                segments = tf.gather(frames, seg, axis=1, batch_dims=1)                               # [B, S]
            proj = self.projection(self._backbone(segments, training), training=training)
            out["class_logits"] = self.mtrn(proj, training=training, deterministic=deterministic)
        if "pair" in heads:
            out["pair_logits"] = self._pair_logits(frames, training)
        return out

    def predict_actions(self, inputs, class_index=None, deterministic: bool = True):
        """Inference outputs for uint8 frames ``[batch, T, H, W, 3]`` (or the dict form of
        :meth:`call`): ``{"class_probs": [B, C], "class_index": int32 [B], "p_act": [B, T − 1]}``
        (plus ``"num_pairs"`` [B] for the dict form; ``p_act`` is 0 past it).

        ``class_index`` (optional int [B]) forces the class P_act follows; otherwise the MTRN's
        prediction. Deterministic MTRN by default (see ``models.trn``). ``p_act`` is stretched by
        ``pact_gain`` (:func:`foleygan_tf.models.trn.stretch_pact`)."""
        out = self(inputs, training=False, deterministic=deterministic)
        probs = ops.softmax(out["class_logits"], axis=-1)
        predicted = ops.cast(ops.argmax(probs, axis=-1), "int32")
        follow = predicted if class_index is None else ops.cast(class_index, "int32")
        p_act = stretch_pact(action_curve(out["pair_logits"], class_index=follow), self.pact_gain, self.num_classes)
        result = {"class_probs": probs, "class_index": predicted}
        if "num_pairs" in out:
            valid = ops.arange(ops.shape(p_act)[1])[None, :] < out["num_pairs"][:, None]
            p_act = ops.where(valid, p_act, ops.zeros_like(p_act))
            result["num_pairs"] = out["num_pairs"]
        result["p_act"] = p_act
        return result

    # ---- training ---------------------------------------------------------------------------
    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_metric if self.stage == "class" else self.pair_accuracy_metric]

    def _class_loss(self, labels, out):
        import tensorflow as tf

        logits = tf.cast(out["class_logits"], tf.float32)
        self.accuracy_metric.update_state(labels, logits)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))

    def _pair_loss(self, labels, out, pair_weight=None):
        """Masked mean over pairs of the cross-entropy against the clip's class, or with
        ``pair_weight`` [B, P] in [0, 1] against ``w·onehot(class) + (1 − w)·uniform``: P_act is
        pushed to 1 on pairs where the sound starts and to the chance level 1/C elsewhere."""
        import tensorflow as tf

        logits = tf.cast(out["pair_logits"], tf.float32)
        pair_labels = tf.broadcast_to(labels[:, None], tf.shape(logits)[:2])
        if "num_pairs" in out:  # padded batch: only the real pairs count
            mask = tf.cast(tf.range(tf.shape(logits)[1])[None, :] < out["num_pairs"][:, None], tf.float32)
        else:
            mask = tf.ones(tf.shape(logits)[:2], tf.float32)
        if pair_weight is None:
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=pair_labels, logits=logits)
            acc_mask = mask
        else:
            w = tf.cast(pair_weight, tf.float32)[:, : tf.shape(logits)[1]]                      # [B, P]
            target = w[..., None] * tf.one_hot(pair_labels, self.num_classes) + (1.0 - w[..., None]) / self.num_classes
            ce = tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=logits)
            acc_mask = mask * tf.cast(w >= 0.5, tf.float32)   # accuracy over the pairs whose target is the class
        self.pair_accuracy_metric.update_state(tf.reshape(pair_labels, [-1]),
                                               tf.reshape(logits, [-1, self.num_classes]),
                                               sample_weight=tf.reshape(acc_mask, [-1]))
        return tf.reduce_sum(ce * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)

    def _stage_loss(self, data, training):
        import tensorflow as tf

        frames, labels = data[0], tf.cast(tf.reshape(data[1], [-1]), tf.int32)
        out = self(frames, training=training, heads=(self.stage,))
        if self.stage == "class":
            loss = self._class_loss(labels, out)
        else:
            loss = self._pair_loss(labels, out, data[2] if len(data) > 2 else None)
        self.loss_tracker.update_state(loss)
        return loss

    def train_step(self, data):
        """One optimizer update of the current stage (:meth:`set_stage`). ``data``: ``(frames,
        label)`` or ``(frames, label, pair_weight)``; ``frames`` may be the dict form of :meth:`call`."""
        import tensorflow as tf

        variables = self.stage_variables()
        with tf.GradientTape() as tape:
            loss = self._stage_loss(data, training=True)
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        self._stage_loss(data, training=False)
        return {m.name: m.result() for m in self.metrics}
