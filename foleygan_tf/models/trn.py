"""Temporal relation networks of the video action-recognition block (paper §IV-A, eq. 4–5, §V-B;
reference/trn.md; Zhou et al. 2018, TRN-pytorch ``TRNmodule.py``).

Layers (all ``keras.layers.Layer`` with ``get_config``):

* :class:`FrameProjection` — TSN head per frame: Dropout(dropout) → Dense(projection_dim), no
  activation. ``[batch, T, F] → [batch, T, projection_dim]``.
* :class:`MultiScaleTRN` — the MTRN relation module ``C(V) = R_2(V) + … + R_8(V)`` (eq. 5).
  ``[batch, num_frames, feature_dim] → [batch, num_classes]`` logits.
* :class:`PairTRN` — the 2-frame TRN (FoleyGAN's "2TRN", R_2 of eq. 4 on consecutive frames).
  ``[batch, T, feature_dim] → [batch, T-1, num_classes]`` logits per pair; :func:`action_curve`
  turns them into ``P_act(t)``.

The model that combines them with a frame backbone is
:class:`foleygan_tf.models.action_recognizer.ActionRecognizer`.

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

from foleygan_tf.config import PAIR_INPUTS

__all__ = ["FrameProjection", "MultiScaleTRN", "PairTRN", "action_curve", "mtrn_param_count",
           "pair_trn_param_count", "stretch_pact", "with_seed_states"]

_PKG = "foleygan_tf"

# the pair inputs whose g-input is one feature vector wide (concat joins two)
_SINGLE_WIDTH_PAIR_INPUTS = ("difference", "rgb_difference")
#: g depths of the MTRN: TRN-pytorch's one hidden layer, or the paper's two (§V-B)
MTRN_G_LAYERS = (1, 2)


def with_seed_states(children, save_type, seed_generators):
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

    For each scale ``k`` in ``num_frames … 2`` a relation function ``h_k(Σ g_k(relation))``:
    ``g_k`` = ``g_layers`` × (ReLU → Dense(mlp_units)), ``h_k`` = ReLU → Dense(num_classes), shared
    by the relations of that scale; a relation is an ordered k-subset of the frames (increasing
    indices) whose features are concatenated in that order. Output: the plain sum of the logits of
    all evaluated relations (1 + (num_frames − 2) × relations_per_scale of them). (h is linear, so
    h applied per relation and summed equals eq. 4's h of the summed g.)

    Args:
      num_frames: frames per clip (TSN segments), ≥ 2.
      feature_dim: per-frame feature size (the projection output, 256 in the paper).
      num_classes: logits per clip.
      mlp_units: width of g's layers (256, §V-B).
      g_layers: layers of g — 2 (the paper, §V-B "two layers of MLP … for gθ") or 1 (TRN-pytorch).
      relations_per_scale: relations drawn per scale below ``num_frames`` (3, reference).
      deterministic: default mode (see the module docstring); ``call(..., deterministic=…)``
        overrides it per call.
      seed: seed of the relation draws (``None`` → random).

    Input ``[batch, num_frames, feature_dim]`` → ``[batch, num_classes]`` logits.
    With the defaults (8, 256, 12): 2,777,684 parameters (2,317,140 with ``g_layers=1``).
    Weight layout: ``scale_fc1`` (g's first layer), ``scale_g2`` (its second), ``scale_fc2`` (h) —
    the first and last names are those of schema-1 weight files, which load unchanged.
    """

    def __init__(self, num_frames: int = 8, feature_dim: int = 256, num_classes: int = 12,
                 mlp_units: int = 256, g_layers: int = 2, relations_per_scale: int = 3,
                 deterministic: bool = False, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if num_frames < 2:
            raise ValueError(f"MultiScaleTRN needs num_frames ≥ 2, got {num_frames}")
        if relations_per_scale < 1:
            raise ValueError(f"relations_per_scale must be ≥ 1, got {relations_per_scale}")
        if g_layers not in MTRN_G_LAYERS:
            raise ValueError(f"g_layers must be one of {MTRN_G_LAYERS}, got {g_layers}")
        self.num_frames = int(num_frames)
        self.feature_dim = int(feature_dim)
        self.num_classes = int(num_classes)
        self.mlp_units = int(mlp_units)
        self.g_layers = int(g_layers)
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
        self.scale_g2 = ([keras.layers.Dense(self.mlp_units, name=f"scale{k}_g2") for k in self.scales]
                         if self.g_layers == 2 else [])
        self.scale_fc2 = [keras.layers.Dense(self.num_classes, name=f"scale{k}_fc2") for k in self.scales]
        self.seed_generator = keras.random.SeedGenerator(seed, name="relation_seed")

    @property
    def relations(self) -> dict:
        """``{k: int32 [C(num_frames, k), k]}`` — every ordered relation of each scale."""
        return dict(zip(self.scales, self._tables))

    def scale_layers(self, k: int):
        """The Dense layers of scale ``k`` in order: g's layers, then h."""
        i = self.scales.index(k)
        return [self.scale_fc1[i]] + ([self.scale_g2[i]] if self.scale_g2 else []) + [self.scale_fc2[i]]

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
        for k in self.scales:
            width = k * self.feature_dim
            for layer in self.scale_layers(k):
                layer.build((None, width))
                width = layer.units
        self.built = True

    def _relation_logits(self, x, k, relation_idx):
        """Logits of the relations ``relation_idx`` [R, k] of scale k → [batch, R, num_classes]."""
        rel = ops.take(x, relation_idx, axis=1)                       # [B, R, k, D]
        rel = ops.reshape(rel, (-1, ops.shape(relation_idx)[0], k * self.feature_dim))
        for layer in self.scale_layers(k):
            rel = layer(ops.relu(rel))
        return rel

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
        return with_seed_states(children, save_type, {"relation_seed": self.seed_generator})

    def get_config(self):
        return {**super().get_config(), "num_frames": self.num_frames, "feature_dim": self.feature_dim,
                "num_classes": self.num_classes, "mlp_units": self.mlp_units, "g_layers": self.g_layers,
                "relations_per_scale": self.relations_per_scale, "deterministic": self.deterministic,
                "seed": self.seed}


def mtrn_param_count(num_frames: int = 8, feature_dim: int = 256, num_classes: int = 12,
                     mlp_units: int = 256, g_layers: int = 2) -> int:
    """Analytic parameter count of :class:`MultiScaleTRN` (used to cross-check the layer)."""
    hidden = (g_layers - 1) * (mlp_units * mlp_units + mlp_units)
    return sum(k * feature_dim * mlp_units + mlp_units + hidden + mlp_units * num_classes + num_classes
               for k in range(num_frames, 1, -1))


def pair_trn_param_count(feature_dim: int = 256, num_classes: int = 12, mlp_units: int = 256,
                         pair_input: str = "concat") -> int:
    """Analytic parameter count of :class:`PairTRN` (g: 2 × Dense(mlp_units), h: Dense(num_classes))."""
    width = feature_dim if pair_input in _SINGLE_WIDTH_PAIR_INPUTS else 2 * feature_dim
    return width * mlp_units + mlp_units + mlp_units * mlp_units + mlp_units + mlp_units * num_classes + num_classes


@keras.saving.register_keras_serializable(package=_PKG)
class PairTRN(keras.layers.Layer):
    """2-frame temporal relation network (FoleyGAN's 2TRN, R_2 of eq. 4 on consecutive frames).

    ``g_θ``: Dense(mlp_units, ReLU) → Dense(mlp_units, ReLU) (§IV-A, §V-B: two layers of 256 units;
    the TRN reference's single-scale module uses a 512 bottleneck — we follow the paper);
    ``h_φ``: Dense(num_classes). Applied to every consecutive pair ``(F_t, F_t+1)``, represented
    according to ``pair_input`` (``trn.pair_input``):

    * ``"concat"`` (the paper: R_2's relation of two frames; the reference relation module):
      ``[F_t, F_t+1]`` (width 2D). On scenes whose appearance identifies the class, every pair is
      classified from appearance alone and ``P_act`` saturates near 1 with little timing.
    * ``"difference"``: ``F_t+1 − F_t`` — the change between the two frames (width D). A pair in
      which nothing changes gives the same (zero) input for every clip, so its class probability
      stays near chance, and ``P_act(t)`` rises where the frames show the action (docs/trn.md).
    * ``"rgb_difference"``: the input already has one feature vector per pair (the motion stream
      of ``ActionRecognizer`` on the pixel difference of the two frames, ``[batch, T − 1, D]``),
      used as is.

    Input ``[batch, T, feature_dim]`` (T ≥ 2) → ``[batch, T − 1, num_classes]`` logits per pair.
    """

    def __init__(self, num_classes: int = 12, mlp_units: int = 256, pair_input: str = "concat", **kwargs):
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


def stretch_pact(p_act, gain: float, num_classes: int):
    """P_act stretched around chance: ``clip(1/C + gain·(P_act − 1/C), 1/C, 1)``; ``gain = 1``
    returns ``p_act`` unchanged (the paper's P_act).

    The audio-onset 2TRN is trained towards ``1/C`` off the events and ``1/C + (1 − 1/C)·w`` on
    them — the range GAN training with ``gan.guidance_source="audio_onsets"`` shows G. On clips it
    was not trained on its peaks fall short of those targets (mean per-window maximum 0.55–0.58 vs
    0.80 on validation clips, docs/trn.md), and G, which learnt where an onset goes from the
    targets' height, then leaves events silent; a gain > 1 moves the peaks back onto that scale and
    the clip at ``1/C`` keeps the floor of the range G has seen.
    """
    if gain == 1.0:
        return p_act
    chance = 1.0 / num_classes
    return ops.clip(chance + gain * (p_act - chance), chance, 1.0)
