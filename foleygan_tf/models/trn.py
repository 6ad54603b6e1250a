"""Temporal relation networks: the video action-recognition block (paper §IV-A, eq. 4–5, §V-B;
reference/trn.md; Zhou et al. 2018, TRN-pytorch ``TRNmodule.py``).

Layers (all ``keras.layers.Layer`` with ``get_config``):

* :class:`FrameProjection` — TSN head per frame: Dropout(dropout) → Dense(projection_dim), no
  activation. ``[batch, T, F] → [batch, T, projection_dim]``.
* :class:`MultiScaleTRN` — the MTRN relation module ``C(V) = R_2(V) + … + R_8(V)`` (eq. 5).
  ``[batch, num_frames, feature_dim] → [batch, num_classes]`` logits.
* :class:`PairTRN` — the 2-frame TRN (FoleyGAN's "2TRN") over every consecutive frame pair, by
  default over the feature change ``F_t+1 − F_t`` (``trn.pair_input``, :data:`PAIR_INPUTS`).
  ``[batch, T, feature_dim] → [batch, T-1, num_classes]`` logits per pair; :func:`action_curve`
  turns them into ``P_act(t)``.

Model:

* :class:`ActionRecognizer` — backbone (``foleygan_tf.video.features``) + projection + MTRN on the 8
  TSN frames + PairTRN on all frames, built from a config (:meth:`ActionRecognizer.from_config_tree`).

:func:`build_trn_models` returns a built ``(mtrn, pair_trn)`` for a config (``foleygan describe``).

Random relations and the deterministic mode
-------------------------------------------
As in the reference, scale ``num_frames`` uses its one relation and every other scale ``k`` uses
``relations_per_scale`` of its ``C(num_frames, k)`` ordered relations, drawn without replacement at
**every call** (training and evaluation), shared by the batch. The draw uses Keras/TF random ops on a
``keras.random.SeedGenerator`` (its state is a variable), so traced functions and SavedModels draw
anew each call — numpy would freeze the draw at trace time.

``deterministic=True`` (constructor default or per-call override) replaces the random draw by its
expectation: every relation of scale ``k`` is evaluated and their mean logits are multiplied by the
number of relations the random mode would sum (``min(relations_per_scale, C(n, k))``). The output is
then the exact expected value of the random-mode output and identical on every call — used for
inference and exports. This mode is our addition (the reference also draws at test time).
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
from keras import ops

__all__ = [
    "FrameProjection", "MultiScaleTRN", "PairTRN", "ActionRecognizer", "action_curve",
    "build_trn_models", "mtrn_param_count", "pair_trn_param_count", "PAIR_INPUTS",
]

_PKG = "foleygan_tf"

#: How :class:`PairTRN` represents a consecutive frame pair (``trn.pair_input``).
PAIR_INPUTS = ("difference", "concat", "concat_difference", "rgb_difference")
# the pair inputs whose g-input is one feature vector wide (the others concatenate two)
_SINGLE_WIDTH_PAIR_INPUTS = ("difference", "rgb_difference")


def _with_seed_states(children, save_type, seed_generators):
    """SavedModel support for ``keras.random.SeedGenerator``: Keras 3 does not expose a seed
    generator's state variable as a TensorFlow trackable child, so a SavedModel whose functions
    draw random numbers would fail to export ("untracked resource"). We add the states (not
    counted as weights: ``count_params`` is unchanged)."""
    if save_type == "savedmodel":
        for name, generator in seed_generators.items():
            children[f"{name}_state"] = generator.state
    return children


@keras.saving.register_keras_serializable(package=_PKG)
class FrameProjection(keras.layers.Layer):
    """TSN consensus head per frame: Dropout(``dropout``) → Dense(``projection_dim``), linear.

    Input ``[batch, T, F]`` (or ``[batch, F]``) → output ``[batch, T, projection_dim]``.
    """

    def __init__(self, projection_dim: int = 256, dropout: float = 0.8, **kwargs):
        super().__init__(**kwargs)
        self.projection_dim = int(projection_dim)
        self.dropout_rate = float(dropout)
        self.dropout = keras.layers.Dropout(self.dropout_rate, name="dropout")
        self.dense = keras.layers.Dense(self.projection_dim, name="dense")

    def build(self, input_shape):
        self.dense.build(tuple(input_shape))
        self.built = True

    def call(self, x, training=None):
        return self.dense(self.dropout(x, training=training))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.projection_dim,)

    def get_config(self):
        return {**super().get_config(), "projection_dim": self.projection_dim, "dropout": self.dropout_rate}


@keras.saving.register_keras_serializable(package=_PKG)
class MultiScaleTRN(keras.layers.Layer):
    """Multi-scale temporal relation module (MTRN), eq. 4–5.

    For each scale ``k`` in ``num_frames … 2`` an MLP ``g_k``: ReLU → Dense(mlp_units) → ReLU →
    Dense(num_classes), shared by the relations of that scale; a relation is an ordered k-subset of
    the frames (increasing indices) whose features are concatenated in that order. Output: the plain
    sum of the logits of all evaluated relations (1 + (num_frames − 2) × relations_per_scale of them).

    Args:
      num_frames: frames per clip (TSN segments), ≥ 2.
      feature_dim: per-frame feature size (the projection output, 256 in the paper).
      num_classes: logits per clip.
      mlp_units: bottleneck width (256, §V-B).
      relations_per_scale: relations drawn per scale below ``num_frames`` (3, reference).
      deterministic: default mode (see the module docstring); ``call(..., deterministic=…)``
        overrides it per call.
      seed: seed of the relation draws (``None`` → random).

    Input ``[batch, num_frames, feature_dim]`` → ``[batch, num_classes]`` logits.
    With the defaults (8, 256, 12, 256, 3): 2,317,140 parameters.
    """

    def __init__(self, num_frames: int = 8, feature_dim: int = 256, num_classes: int = 12,
                 mlp_units: int = 256, relations_per_scale: int = 3, deterministic: bool = False,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if num_frames < 2:
            raise ValueError(f"MultiScaleTRN needs num_frames ≥ 2, got {num_frames}")
        if relations_per_scale < 1:
            raise ValueError(f"relations_per_scale must be ≥ 1, got {relations_per_scale}")
        self.num_frames = int(num_frames)
        self.feature_dim = int(feature_dim)
        self.num_classes = int(num_classes)
        self.mlp_units = int(mlp_units)
        self.relations_per_scale = int(relations_per_scale)
        self.deterministic = bool(deterministic)
        self.seed = seed
        self.scales = list(range(self.num_frames, 1, -1))
        # Per-scale state lives in lists aligned with `self.scales` (int-keyed dicts of layers
        # cannot be saved in a SavedModel). All ordered relations of scale k: a constant
        # [C(n, k), k] index table.
        self._tables = [np.asarray(list(itertools.combinations(range(self.num_frames), k)), dtype="int32")
                        for k in self.scales]
        self.scale_fc1 = [keras.layers.Dense(self.mlp_units, name=f"scale{k}_fc1") for k in self.scales]
        self.scale_fc2 = [keras.layers.Dense(self.num_classes, name=f"scale{k}_fc2") for k in self.scales]
        self.seed_generator = keras.random.SeedGenerator(seed, name="relation_seed")

    @property
    def relations(self) -> dict:
        """``{k: int32 [C(num_frames, k), k]}`` — every ordered relation of each scale."""
        return dict(zip(self.scales, self._tables))

    def scale_layers(self, k: int):
        """``(fc1, fc2)`` Dense layers of the MLP of scale ``k``."""
        i = self.scales.index(k)
        return self.scale_fc1[i], self.scale_fc2[i]

    def num_relations(self, k: int) -> int:
        """Relations summed at scale ``k`` in the random mode."""
        return 1 if k == self.num_frames else min(self.relations_per_scale, len(self.relations[k]))

    def build(self, input_shape):
        if input_shape[-1] is not None and int(input_shape[-1]) != self.feature_dim:
            raise ValueError(f"MultiScaleTRN(feature_dim={self.feature_dim}) got features of size "
                             f"{input_shape[-1]}")
        if len(input_shape) != 3 or (input_shape[1] is not None and int(input_shape[1]) != self.num_frames):
            raise ValueError(f"MultiScaleTRN expects [batch, {self.num_frames}, {self.feature_dim}], "
                             f"got {tuple(input_shape)}")
        for k, fc1, fc2 in zip(self.scales, self.scale_fc1, self.scale_fc2):
            fc1.build((None, k * self.feature_dim))
            fc2.build((None, self.mlp_units))
        self.built = True

    def _relation_logits(self, x, k, relation_idx):
        """Logits of the relations ``relation_idx`` [R, k] of scale k → [batch, R, num_classes]."""
        rel = ops.take(x, relation_idx, axis=1)                       # [B, R, k, D]
        rel = ops.reshape(rel, (-1, ops.shape(relation_idx)[0], k * self.feature_dim))
        fc1, fc2 = self.scale_layers(k)
        return fc2(ops.relu(fc1(ops.relu(rel))))

    def call(self, x, training=None, deterministic=None):
        deterministic = self.deterministic if deterministic is None else bool(deterministic)
        x = ops.cast(x, self.compute_dtype)
        total = None
        for k, table in zip(self.scales, self._tables):
            count = self.num_relations(k)
            if k == self.num_frames:
                logits = ops.sum(self._relation_logits(x, k, ops.convert_to_tensor(table)), axis=1)
            elif deterministic:
                mean = ops.mean(self._relation_logits(x, k, ops.convert_to_tensor(table)), axis=1)
                logits = mean * float(count)
            else:
                # A uniformly random permutation (argsort of i.i.d. uniforms); its first `count`
                # entries are `count` relations drawn without replacement.
                noise = keras.random.uniform((len(table),), seed=self.seed_generator)
                pick = ops.argsort(noise)[:count]
                idx = ops.take(ops.convert_to_tensor(table), pick, axis=0)
                logits = ops.sum(self._relation_logits(x, k, idx), axis=1)
            total = logits if total is None else total + logits
        return total

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        children = super()._trackable_children(save_type, **kwargs)
        return _with_seed_states(children, save_type, {"relation_seed": self.seed_generator})

    def get_config(self):
        return {**super().get_config(), "num_frames": self.num_frames, "feature_dim": self.feature_dim,
                "num_classes": self.num_classes, "mlp_units": self.mlp_units,
                "relations_per_scale": self.relations_per_scale, "deterministic": self.deterministic,
                "seed": self.seed}


def mtrn_param_count(num_frames: int = 8, feature_dim: int = 256, num_classes: int = 12,
                     mlp_units: int = 256) -> int:
    """Analytic parameter count of :class:`MultiScaleTRN` (used to cross-check the layer)."""
    return sum(k * feature_dim * mlp_units + mlp_units + mlp_units * num_classes + num_classes
               for k in range(num_frames, 1, -1))


def pair_trn_param_count(feature_dim: int = 256, num_classes: int = 12, mlp_units: int = 256,
                         pair_input: str = "difference") -> int:
    """Analytic parameter count of :class:`PairTRN` (g: 2 × Dense(mlp_units), h: Dense(num_classes))."""
    width = feature_dim if pair_input in _SINGLE_WIDTH_PAIR_INPUTS else 2 * feature_dim
    return width * mlp_units + mlp_units + mlp_units * mlp_units + mlp_units + mlp_units * num_classes + num_classes


@keras.saving.register_keras_serializable(package=_PKG)
class PairTRN(keras.layers.Layer):
    """2-frame temporal relation network (FoleyGAN's 2TRN, R_2 of eq. 4 on consecutive frames).

    ``g_θ``: Dense(mlp_units, ReLU) → Dense(mlp_units, ReLU) (§IV-A, §V-B: two layers of 256 units;
    the TRN reference's single-scale module uses a 512 bottleneck — we follow the paper);
    ``h_φ``: Dense(num_classes). Applied to every consecutive pair ``(F_t, F_t+1)``, represented
    according to ``pair_input`` (:data:`PAIR_INPUTS`):

    * ``"difference"`` (default, our choice): ``F_t+1 − F_t`` — the change between the two frames
      (g's input width D). A pair in which nothing changes gives the same (zero) input for every
      clip, so its class probability stays near chance, and ``P_act(t)`` rises where the frames
      show the action happening: it carries the event timing (docs/trn.md, "Results").
    * ``"concat"``: ``[F_t, F_t+1]`` (width 2D; the reference relation module). On scenes whose
      appearance identifies the class, every pair is classified from appearance alone and
      ``P_act`` saturates near 1 with no timing information.
    * ``"concat_difference"``: ``[F_t, F_t+1 − F_t]`` (width 2D) — appearance plus change.
    * ``"rgb_difference"``: the input already has one feature vector per pair (the motion stream
      of :class:`ActionRecognizer` on the pixel difference of the two frames,
      ``[batch, T − 1, D]``), used as is.

    Input ``[batch, T, feature_dim]`` (T ≥ 2) → ``[batch, T − 1, num_classes]`` logits per pair.
    """

    def __init__(self, num_classes: int = 12, mlp_units: int = 256, pair_input: str = "difference",
                 **kwargs):
        super().__init__(**kwargs)
        if pair_input not in PAIR_INPUTS:
            raise ValueError(f"PairTRN pair_input must be one of {PAIR_INPUTS}, got {pair_input!r}")
        self.num_classes = int(num_classes)
        self.mlp_units = int(mlp_units)
        self.pair_input = str(pair_input)
        self.g1 = keras.layers.Dense(self.mlp_units, activation="relu", name="g1")
        self.g2 = keras.layers.Dense(self.mlp_units, activation="relu", name="g2")
        self.h = keras.layers.Dense(self.num_classes, name="h")

    def build(self, input_shape):
        d = int(input_shape[-1])
        self.g1.build((None, None, d if self.pair_input in _SINGLE_WIDTH_PAIR_INPUTS else 2 * d))
        self.g2.build((None, None, self.mlp_units))
        self.h.build((None, None, self.mlp_units))
        self.built = True

    def call(self, x):
        return self.h(self.g2(self.g1(self.pair_features(x))))

    def pair_features(self, x):
        """The input of ``g`` for every consecutive pair: ``[B, T, D] → [B, T − 1, D or 2D]``
        (``rgb_difference``: ``[B, T − 1, D]`` per-pair features, returned unchanged)."""
        x = ops.cast(x, self.compute_dtype)
        if self.pair_input == "rgb_difference":
            return x                                                    # already per pair
        first, second = x[:, :-1], x[:, 1:]
        if self.pair_input == "difference":
            return second - first                                       # [B, T-1, D]
        if self.pair_input == "concat_difference":
            return ops.concatenate([first, second - first], axis=-1)   # [B, T-1, 2D]
        return ops.concatenate([first, second], axis=-1)               # [B, T-1, 2D]

    def action_curve(self, x, class_index=None, class_logits=None):
        """``P_act(t)`` ``[batch, T − 1]`` for features ``x`` — see :func:`action_curve`."""
        return action_curve(self(x), class_index=class_index, class_logits=class_logits)

    def compute_output_shape(self, input_shape):
        t = input_shape[1]
        if self.pair_input == "rgb_difference":
            return (input_shape[0], t, self.num_classes)
        return (input_shape[0], None if t is None else t - 1, self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "mlp_units": self.mlp_units,
                "pair_input": self.pair_input}


def action_curve(pair_logits, class_index=None, class_logits=None):
    """``P_act(t)``: the probability, per consecutive frame pair, of the clip's action class.

    Args:
      pair_logits: ``[batch, P, C]`` from :class:`PairTRN` (``P = T − 1`` pairs).
      class_index: optional int ``[batch]`` — the class to follow (e.g. a user-given class).
      class_logits: optional ``[batch, C]`` — the clip prediction C(V) of the MTRN; its argmax is
        the class when ``class_index`` is not given.
      If neither is given, the class is the argmax of the pair probabilities averaged over pairs.

    Returns:
      float32 ``[batch, P]`` in [0, 1]: ``softmax(pair_logits[:, t])[class]``.
    """
    probs = ops.softmax(ops.cast(pair_logits, "float32"), axis=-1)
    if class_index is None:
        if class_logits is not None:
            class_index = ops.argmax(class_logits, axis=-1)
        else:
            class_index = ops.argmax(ops.mean(probs, axis=1), axis=-1)
    onehot = ops.one_hot(ops.cast(class_index, "int32"), ops.shape(probs)[-1], dtype="float32")
    return ops.sum(probs * onehot[:, None, :], axis=-1)


def build_trn_models(config):
    """``(mtrn, pair_trn)`` for ``config`` (a :class:`foleygan_tf.config.Config`), built so that
    ``count_params()`` works without calling them. Both take ``trn.projection_dim`` features
    (the pair head of ``trn.pair_input = "rgb_difference"`` takes the motion stream's
    ``2·min(video.feature_dim, 256)``; the motion encoder itself is not counted here)."""
    t = config.trn
    mtrn = MultiScaleTRN(num_frames=config.video.num_segments, feature_dim=t.projection_dim,
                         num_classes=config.num_classes, mlp_units=t.mlp_units,
                         relations_per_scale=t.relations_per_scale, seed=config.seed, name="mtrn")
    mtrn.build((None, config.video.num_segments, t.projection_dim))
    pair = PairTRN(num_classes=config.num_classes, mlp_units=t.mlp_units, pair_input=t.pair_input,
                   name="pair_trn")
    if t.pair_input == "rgb_difference":
        from foleygan_tf.video.features import motion_feature_width

        pair.build((None, None, motion_feature_width(config.video)))
    else:
        pair.build((None, None, t.projection_dim))
    return mtrn, pair


@keras.saving.register_keras_serializable(package=_PKG)
class ActionRecognizer(keras.Model):
    """Video action recognition block: frames → class logits C(V) and pair logits (→ P_act).

    ``frames`` uint8 ``[batch, T, H, W, 3]`` (any T ≥ 1, e.g. all frames of a clip; frames of
    another size than ``video.frame_size`` are resized in the graph) →
    ``{"class_logits": [batch, num_classes], "pair_logits": [batch, max(T, 2) − 1, num_classes]}``.
    Padded batches of clips of different lengths: pass ``{"frames": …, "num_frames": [batch]}``
    (see :meth:`call`).

    Pipeline: backbone on every frame → :class:`FrameProjection` → (a) TSN segment sampling of
    ``video.num_segments`` frames (random frame per segment when ``training``, centres otherwise;
    ``foleygan_tf.video.frames.tsn_indices_tf``) → :class:`MultiScaleTRN`; (b) :class:`PairTRN` on
    all consecutive pairs. A one-frame clip is repeated to two frames (one pair). The backbone and
    projection are shared by both heads (the paper trains MTRN and 2TRN "separately"; we train them
    jointly with the loss ``CE(class) + pair_loss_weight · mean_t CE(pair_t)``, every pair labelled
    with the clip's class, or — ``trn.pair_target = "audio_onsets"`` — with a soft label from the
    onsets of the window's real audio: see :meth:`_loss_and_metrics` and docs/trn.md). ``with_pairs=False`` drops the pair head and runs the
    backbone on the TSN frames only.

    Use :meth:`from_config_tree` to build it from a project config.
    """

    def __init__(self, video: dict, trn: dict, num_classes: int, *, deterministic: bool = False,
                 with_pairs: bool = True, pair_loss_weight: float = 1.0, seed: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        from foleygan_tf.config import TRNConfig, VideoConfig
        from foleygan_tf.video.features import build_frame_encoder

        self.video_cfg = VideoConfig(**video) if isinstance(video, dict) else video
        self.trn_cfg = TRNConfig(**trn) if isinstance(trn, dict) else trn
        self.num_classes = int(num_classes)
        self.deterministic = bool(deterministic)
        self.with_pairs = bool(with_pairs)
        self.pair_loss_weight = float(pair_loss_weight)
        self.seed = seed
        v, t = self.video_cfg, self.trn_cfg
        self.num_segments = int(v.num_segments)
        self.frame_size = int(v.frame_size)
        self.encoder = build_frame_encoder(v, name="frame_encoder")
        self.projection = FrameProjection(t.projection_dim, t.dropout, name="projection")
        self.mtrn = MultiScaleTRN(num_frames=v.num_segments, feature_dim=t.projection_dim,
                                  num_classes=self.num_classes, mlp_units=t.mlp_units,
                                  relations_per_scale=t.relations_per_scale,
                                  deterministic=self.deterministic, seed=seed, name="mtrn")
        self.pair_trn = (PairTRN(num_classes=self.num_classes, mlp_units=t.mlp_units,
                                 pair_input=t.pair_input, name="pair_trn")
                         if self.with_pairs else None)
        # trn.pair_input = "rgb_difference": the 2TRN reads its own motion stream (a small CNN on
        # the pixel difference of each consecutive pair, docs/trn.md) instead of the backbone.
        self.motion_encoder = None
        if self.with_pairs and t.pair_input == "rgb_difference":
            from foleygan_tf.video.features import build_motion_encoder

            self.motion_encoder = build_motion_encoder(v, name="motion_encoder")
        self.segment_seed = keras.random.SeedGenerator(None if seed is None else seed + 1,
                                                       name="segment_seed")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.class_loss_tracker = keras.metrics.Mean(name="class_loss")
        self.pair_loss_tracker = keras.metrics.Mean(name="pair_loss")
        self.accuracy_metric = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        self.pair_accuracy_metric = keras.metrics.SparseCategoricalAccuracy(name="pair_accuracy")

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def from_config_tree(cls, config, **kwargs) -> "ActionRecognizer":
        """Build (and ``build``) the recognizer for a :class:`foleygan_tf.config.Config`."""
        import dataclasses

        kwargs.setdefault("seed", config.seed)
        kwargs.setdefault("pair_loss_weight", float(getattr(config.trn, "pair_loss_weight", 1.0)))
        model = cls(dataclasses.asdict(config.video), dataclasses.asdict(config.trn),
                    config.num_classes, name="action_recognizer", **kwargs)
        model.build_all()
        return model

    def build_all(self):
        """Create every weight (without a forward pass)."""
        s, d = self.frame_size, self.trn_cfg.projection_dim
        self.projection.build((None, None, self.encoder.output_shape[-1]))
        self.mtrn.build((None, self.num_segments, d))
        if self.pair_trn is not None:
            pair_dim = d if self.motion_encoder is None else self.motion_encoder.output_shape[-1]
            self.pair_trn.build((None, None, pair_dim))
        self.built = True
        return self

    def build(self, input_shape=None):
        self.build_all()

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        children = super()._trackable_children(save_type, **kwargs)
        return _with_seed_states(children, save_type, {"segment_seed": self.segment_seed})

    def get_config(self):
        import dataclasses

        video = dataclasses.asdict(self.video_cfg)
        video["imagenet_weights"] = ""  # the weights travel with the saved model, not the file
        return {**super().get_config(), "video": video, "trn": dataclasses.asdict(self.trn_cfg),
                "num_classes": self.num_classes, "deterministic": self.deterministic,
                "with_pairs": self.with_pairs, "pair_loss_weight": self.pair_loss_weight,
                "seed": self.seed}

    # ---- forward ----------------------------------------------------------------------------
    def _features(self, frames, training, dropout=None):
        """uint8 [B, T, S, S, 3] (already :meth:`_resized`) → projected features
        [B, T, projection_dim]; ``dropout=False`` skips the projection's dropout (the pair head's
        view, see :meth:`call`)."""
        import tensorflow as tf

        shape = tf.shape(frames)
        b, t = shape[0], shape[1]
        flat = tf.reshape(frames, [-1, self.frame_size, self.frame_size, 3])
        feats = self.encoder(flat, training=training)
        feats = tf.reshape(feats, tf.stack([b, t, tf.shape(feats)[-1]]))
        if dropout is None:
            return self.projection(feats, training=training)
        return self.projection(feats, training=training and dropout), feats

    def _resized(self, frames):
        """uint8 clips ``[B, T, H, W, 3]`` → ``[B, T, S, S, 3]`` (``S = video.frame_size``), once per
        call for both the backbone and the motion stream; a no-op for frames of that size."""
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
        ``[B, T − 1, 2d]``: the motion encoder on ``(frame_t+1 − frame_t) / 255``."""
        import tensorflow as tf

        shape = tf.shape(frames)
        b, t = shape[0], shape[1]
        clip = tf.cast(frames, tf.float32)
        diff = (clip[:, 1:] - clip[:, :-1]) / 255.0
        feats = self.motion_encoder(tf.reshape(diff, [-1, self.frame_size, self.frame_size, 3]),
                                    training=training)
        return tf.reshape(feats, tf.stack([b, t - 1, tf.shape(feats)[-1]]))

    def _pair_view(self, feats):
        """The projection of backbone features without dropout (inference behaviour)."""
        return self.projection(feats, training=False)

    @staticmethod
    def _unpack(inputs):
        if isinstance(inputs, dict):
            return inputs["frames"], inputs.get("num_frames")
        return inputs, None

    def call(self, inputs, training=None, deterministic=None):
        """``inputs``: uint8 frames ``[B, T, H, W, 3]``, or a dict ``{"frames": …, "num_frames":
        int [B]}`` for padded batches of clips of different lengths: frames past ``num_frames`` are
        ignored (replaced by the last real frame), TSN segments are drawn per example within its
        own length, and the output gains ``"num_pairs"`` [B] (valid pairs, ``max(n, 2) − 1``)."""
        import tensorflow as tf

        from foleygan_tf.video.frames import tsn_indices_tf

        frames, num_frames = self._unpack(inputs)
        training = bool(training)
        frames = self._resized(tf.convert_to_tensor(frames))   # once, for every stream
        t = tf.shape(frames)[1]
        t2 = tf.maximum(t, 2)  # one-frame clips are repeated to two frames: one pair exists
        seed = self.segment_seed if training else None
        if num_frames is None:
            lengths = None
            frames = tf.gather(frames, tf.minimum(tf.range(t2), t - 1), axis=1)
            seg = tsn_indices_tf(t2, self.num_segments, training=training, seed=seed)    # [S]
            batch_dims = 0
        else:
            lengths = tf.clip_by_value(tf.cast(tf.reshape(num_frames, [-1]), tf.int32), 1, t)
            frames = tf.gather(frames, tf.minimum(tf.range(t2)[None, :], lengths[:, None] - 1),
                               batch_dims=1)
            seg = tsn_indices_tf(tf.maximum(lengths, 2), self.num_segments, training=training,
                                 seed=seed)                                              # [B, S]
            batch_dims = 1

        def take_segments(x):
            return tf.gather(x, seg, axis=1, batch_dims=batch_dims)

        if self.pair_trn is None:
            proj = self._features(take_segments(frames), training)
            out = {"class_logits": self.mtrn(proj, training=training, deterministic=deterministic)}
        else:
            # With trn.pair_target = "audio_onsets" the pair head reads the projection *without*
            # dropout: TSN dropout draws a mask per frame, so in training F_t+1 − F_t is mostly
            # the difference of two dropout masks. (Dropout still regularises the MTRN; nothing
            # changes at inference. With "clip_class" this variant made P_act anti-aligned —
            # docs/trn.md — so that target keeps the shared, dropped-out projection.)
            proj, feats = self._features(frames, training, dropout=True)
            clean = training and getattr(self.trn_cfg, "pair_target", "clip_class") == "audio_onsets"
            if self.motion_encoder is not None:
                pair_proj = self._motion_features(frames, training)
            else:
                pair_proj = self._pair_view(feats) if clean else proj
            out = {"class_logits": self.mtrn(take_segments(proj), training=training,
                                             deterministic=deterministic),
                   "pair_logits": self.pair_trn(pair_proj)}
        if lengths is not None:
            out["num_pairs"] = tf.maximum(lengths, 2) - 1
        return out

    def predict_actions(self, inputs, class_index=None, deterministic: bool = True):
        """Inference outputs for uint8 frames ``[batch, T, H, W, 3]`` (or the dict form of
        :meth:`call`): ``{"class_probs": [B, C], "class_index": int32 [B], "p_act": [B, T − 1]}``
        (plus ``"num_pairs"`` [B] for the dict form; ``p_act`` is 0 past it).

        ``class_index`` (optional int [B]) forces the class P_act follows; otherwise the MTRN's
        prediction. Deterministic MTRN by default (see the module docstring)."""
        out = self(inputs, training=False, deterministic=deterministic)
        probs = ops.softmax(out["class_logits"], axis=-1)
        predicted = ops.cast(ops.argmax(probs, axis=-1), "int32")
        follow = predicted if class_index is None else ops.cast(class_index, "int32")
        result = {"class_probs": probs, "class_index": predicted}
        if "pair_logits" in out:
            p_act = action_curve(out["pair_logits"], class_index=follow)
            if "num_pairs" in out:
                valid = ops.arange(ops.shape(p_act)[1])[None, :] < out["num_pairs"][:, None]
                p_act = ops.where(valid, p_act, ops.zeros_like(p_act))
                result["num_pairs"] = out["num_pairs"]
            result["p_act"] = p_act
        return result

    # ---- training ---------------------------------------------------------------------------
    @property
    def metrics(self):
        ms = [self.loss_tracker, self.class_loss_tracker, self.accuracy_metric]
        if self.with_pairs:
            ms += [self.pair_loss_tracker, self.pair_accuracy_metric]
        return ms

    def _loss_and_metrics(self, labels, out, pair_weight=None):
        """``CE(class) + pair_loss_weight · masked mean_t CE(pair_t, target_t)``. The pair target
        is the clip's class (``trn.pair_target = "clip_class"``) or, given ``pair_weight`` [B, P]
        in [0, 1] (``"audio_onsets"``: how strongly pair t coincides with an onset of the real
        audio), the soft label ``w·onehot(class) + (1 − w)·uniform``: P_act is pushed to 1 on
        pairs where the sound starts and to the chance level 1/C elsewhere."""
        import tensorflow as tf

        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        class_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=tf.cast(out["class_logits"], tf.float32)))
        loss = class_loss
        self.class_loss_tracker.update_state(class_loss)
        self.accuracy_metric.update_state(labels, out["class_logits"])
        if self.with_pairs:
            pair_logits = tf.cast(out["pair_logits"], tf.float32)
            pair_labels = tf.broadcast_to(labels[:, None], tf.shape(pair_logits)[:2])
            if "num_pairs" in out:  # padded batch: only the real pairs count
                mask = tf.cast(tf.range(tf.shape(pair_logits)[1])[None, :] < out["num_pairs"][:, None],
                               tf.float32)
            else:
                mask = tf.ones(tf.shape(pair_logits)[:2], tf.float32)
            if pair_weight is None:
                ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=pair_labels, logits=pair_logits)
            else:
                w = tf.cast(pair_weight, tf.float32)[:, : tf.shape(pair_logits)[1], None]   # [B, P, 1]
                onehot = tf.one_hot(pair_labels, self.num_classes, dtype=tf.float32)
                target = w * onehot + (1.0 - w) / float(self.num_classes)
                ce = tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=pair_logits)
            pair_loss = tf.reduce_sum(ce * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)
            loss = loss + self.pair_loss_weight * pair_loss
            self.pair_loss_tracker.update_state(pair_loss)
            # pair accuracy: over the pairs whose target is the class (all, or the onset pairs)
            acc_mask = mask if pair_weight is None else mask * tf.cast(
                tf.cast(pair_weight, tf.float32)[:, : tf.shape(pair_logits)[1]] >= 0.5, tf.float32)
            self.pair_accuracy_metric.update_state(
                tf.reshape(pair_labels, [-1]), tf.reshape(pair_logits, [-1, self.num_classes]),
                sample_weight=tf.reshape(acc_mask, [-1]))
        self.loss_tracker.update_state(loss)
        return loss

    def train_step(self, data):
        import tensorflow as tf

        frames, labels = data[0], data[1]
        pair_weight = data[2] if len(data) > 2 else None
        with tf.GradientTape() as tape:
            out = self(frames, training=True)
            loss = self._loss_and_metrics(labels, out, pair_weight)
            if self.losses:
                loss = loss + tf.add_n(self.losses)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        frames, labels = data[0], data[1]
        out = self(frames, training=False)
        self._loss_and_metrics(labels, out, data[2] if len(data) > 2 else None)
        return {m.name: m.result() for m in self.metrics}
