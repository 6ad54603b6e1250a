"""BigGAN building blocks in Keras 3 (reference: ``../shared/reference/biggan.md``).

Every layer follows BigGAN-PyTorch (``layers.py``) in TF layout (NHWC, kernels ``[..., in, out]``):

* ``SNDense``, ``SNConv2D``, ``SNEmbedding`` — spectrally normalised weights, ``W / σ(W)``.
* ``ClassEmbedding`` — G's shared class embedding (plain, no spectral norm).
* ``ConditionalBatchNorm`` — non-affine BN, then ``x·(1 + gain(c)) + bias(c)``.
* ``SelfAttention`` — SAGAN attention with 2×2-pooled keys/values and a zero-initialised γ.
* ``GBlock`` / ``DBlock`` — the residual up/down blocks of G and D.

Mixed precision: kernels are float32 variables read *without* autocast; the spectral norm, the BN
statistics and the attention softmax are computed in float32 and only the normalised kernel /
result is cast to the layer's compute dtype (bfloat16 under ``mixed_bfloat16``).

Every layer records the spatial size it was built for, so ``flops()`` returns its analytic forward
cost for one example (2 × multiply-adds of its convolutions, dense products and attention matmuls;
element-wise work such as BN, ReLU, pooling and additions is not counted).
"""

from __future__ import annotations

import contextlib
import contextvars

import keras
from keras import ops

# PyTorch's BatchNorm momentum 0.1 (BigGAN-PyTorch default) in Keras' convention
# (moving = momentum · moving + (1 − momentum) · batch).
BN_MOMENTUM = 0.9
_PKG = "foleygan_tf"


_SHAPE_ONLY = contextvars.ContextVar("foleygan_shape_only_weights", default=False)


@contextlib.contextmanager
def shape_only_weights():
    """Build models with zero kernels instead of orthogonal ones, for inspection only.

    The orthogonal initialiser QR-decomposes every kernel (≈ 40 s for the paper-preset G and D on a
    2-core CPU); ``foleygan describe`` and parameter-count tests only need the shapes. A model built
    inside this context is not meant to be trained or sampled.
    """
    token = _SHAPE_ONLY.set(True)
    try:
        yield
    finally:
        _SHAPE_ONLY.reset(token)


def _orthogonal():
    # BigGAN initialises every conv/dense/embedding weight orthogonally (init='ortho'). Keras'
    # Orthogonal flattens the kernel to (prod(shape[:-1]), out) — PyTorch's (out, in·k·k) transposed.
    if _SHAPE_ONLY.get():
        return keras.initializers.Zeros()
    return keras.initializers.Orthogonal()


def _normalize(x, eps):
    """``F.normalize``: ``x / max(‖x‖₂, eps)``."""
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x))), eps)


def embed(class_input, matrix):
    """Rows of ``matrix`` [num_classes, dim] for ``class_input``.

    ``class_input`` is either integer class indices ``[batch]`` (a lookup) or class probabilities
    ``[batch, num_classes]`` (the probability-weighted mixture ``probs @ matrix``), so a soft
    prediction of the video classifier can condition G and D directly.
    """
    class_input = ops.convert_to_tensor(class_input)
    if "int" in str(class_input.dtype):
        if len(class_input.shape) != 1:
            raise ValueError(f"integer class input must be [batch], got shape {class_input.shape}")
        return ops.take(matrix, class_input, axis=0)
    if len(class_input.shape) != 2 or class_input.shape[-1] != matrix.shape[0]:
        raise ValueError(
            f"class probabilities must be [batch, {matrix.shape[0]}], got shape {class_input.shape}")
    return ops.matmul(ops.cast(class_input, matrix.dtype), matrix)


class _SpectralNorm(keras.layers.Layer):
    """Base class: a kernel normalised by its largest singular value (Miyato et al. 2018).

    One power iteration per call, exactly as BigGAN-PyTorch ``SN.W_``: with the kernel reshaped to
    ``W [n_in, out]`` and the persistent vector ``u [1, out]``::

        v = normalize(u Wᵀ);  u' = normalize(v W);  σ = v W u'ᵀ   (u', v carry no gradient)

    The iteration runs on every call, but ``u`` is overwritten with ``u'`` only when
    ``training=True`` (PyTorch: ``update=self.training``), so inference never changes state.
    ``u`` is a non-trainable variable (a PyTorch *buffer*): not counted as a parameter.
    """

    def __init__(self, sn_eps=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.sn_eps = sn_eps

    def _add_sn_kernel(self, shape, name="kernel"):
        # autocast=False: the power iteration reads the float32 master copy even under bf16.
        self.kernel = self.add_weight(name=name, shape=shape, initializer=_orthogonal(),
                                      autocast=False)
        # All replicas compute the same u' (it depends on the synchronised weights only), so each
        # replica updates its own copy: aggregation "none" needs no merge_call, which matters
        # because the update runs inside the tf.while_loop of gradient accumulation, where a
        # merge_call (as "only_first_replica" or "mean" would need) fails under MirroredStrategy.
        self.u = self.add_weight(name="sn_u", shape=(1, shape[-1]),
                                 initializer=keras.initializers.RandomNormal(), trainable=False,
                                 autocast=False, aggregation="none")

    def normalized_kernel(self, training=None):
        """``W / σ(W)`` in the layer's compute dtype, same shape as the kernel."""
        w = ops.convert_to_tensor(self.kernel)
        w_mat = ops.reshape(w, (-1, w.shape[-1]))
        u = ops.convert_to_tensor(self.u)
        v = ops.stop_gradient(_normalize(ops.matmul(u, ops.transpose(w_mat)), self.sn_eps))
        u_new = ops.stop_gradient(_normalize(ops.matmul(v, w_mat), self.sn_eps))
        sigma = ops.sum(ops.matmul(v, w_mat) * u_new)
        if training:
            self.u.assign(u_new)
        return ops.cast(w / sigma, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "sn_eps": self.sn_eps}


@keras.saving.register_keras_serializable(package=_PKG)
class SNDense(_SpectralNorm):
    """Spectrally normalised dense layer: ``[batch, in] → [batch, units]``."""

    def __init__(self, units, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = use_bias

    def build(self, input_shape):
        self.in_features = int(input_shape[-1])
        self._add_sn_kernel((self.in_features, self.units))
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, x, training=None):
        y = ops.matmul(x, self.normalized_kernel(training))
        return y + self.bias if self.use_bias else y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def flops(self):
        return 2 * self.in_features * self.units

    def get_config(self):
        return {**super().get_config(), "units": self.units, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package=_PKG)
class SNConv2D(_SpectralNorm):
    """Spectrally normalised stride-1 'same' convolution: ``[batch, H, W, in] → [batch, H, W, filters]``."""

    def __init__(self, filters, kernel_size=3, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.use_bias = use_bias

    def build(self, input_shape):
        self.spatial = (input_shape[1], input_shape[2])  # for flops(); None if dynamic
        self.in_channels = int(input_shape[-1])
        k = self.kernel_size
        self._add_sn_kernel((k, k, self.in_channels, self.filters))
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, x, training=None):
        y = ops.conv(x, self.normalized_kernel(training), strides=1, padding="same")
        return y + self.bias if self.use_bias else y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def flops(self):
        h, w = self.spatial
        if h is None or w is None:
            raise ValueError(f"{self.name}: built without a static spatial size, FLOPs unknown")
        return 2 * h * w * self.kernel_size ** 2 * self.in_channels * self.filters

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package=_PKG)
class SNEmbedding(_SpectralNorm):
    """Spectrally normalised class embedding (D's projection): class input → ``[batch, dim]``.

    The class input is ``[batch]`` integers or ``[batch, num_classes]`` probabilities (see ``embed``).
    """

    def __init__(self, num_classes, dim, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.dim = dim

    def build(self, input_shape=None):
        self._add_sn_kernel((self.num_classes, self.dim), name="embeddings")

    def call(self, class_input, training=None):
        return embed(class_input, self.normalized_kernel(training))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def flops(self):
        return 0  # a lookup (integer classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "dim": self.dim}


@keras.saving.register_keras_serializable(package=_PKG)
class ClassEmbedding(keras.layers.Layer):
    """G's shared class embedding (BigGAN ``G.shared``): plain, no spectral norm, no bias.

    ``[batch]`` integer classes or ``[batch, num_classes]`` probabilities → ``[batch, dim]``.
    """

    def __init__(self, num_classes, dim, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.dim = dim

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.num_classes, self.dim),
                                          initializer=_orthogonal())

    def call(self, class_input):
        return embed(class_input, self.embeddings)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def flops(self):
        return 0

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "dim": self.dim}


@keras.saving.register_keras_serializable(package=_PKG)
class ConditionalBatchNorm(keras.layers.Layer):
    """BigGAN ``ccbn``: ``BN(x) · (1 + gain(c)) + bias(c)``.

    ``x [batch, H, W, channels]``, ``c [batch, cond_dim]`` → ``[batch, H, W, channels]``. The BN is
    non-affine (its statistics in float32, see Keras' BatchNormalization); ``gain`` and ``bias`` are
    SN-Dense layers without bias. The ``1 +`` matters: compare_gan omits it (a known bug).
    """

    def __init__(self, channels, bn_eps=1e-5, sn_eps=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.bn_eps = bn_eps
        self.sn_eps = sn_eps
        self.bn = keras.layers.BatchNormalization(center=False, scale=False, epsilon=bn_eps,
                                                  momentum=BN_MOMENTUM, dtype=self.dtype_policy)
        self.gain = SNDense(channels, use_bias=False, sn_eps=sn_eps, dtype=self.dtype_policy)
        self.bias = SNDense(channels, use_bias=False, sn_eps=sn_eps, dtype=self.dtype_policy)

    def build(self, x_shape, cond_shape):
        self.bn.build(x_shape)
        self.gain.build(cond_shape)
        self.bias.build(cond_shape)

    def call(self, x, cond, training=None):
        h = self.bn(x, training=training)
        gain = 1.0 + self.gain(cond, training=training)
        bias = self.bias(cond, training=training)
        return h * gain[:, None, None, :] + bias[:, None, None, :]

    def compute_output_shape(self, x_shape, cond_shape):
        return x_shape

    def flops(self):
        return self.gain.flops() + self.bias.flops()

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "bn_eps": self.bn_eps,
                "sn_eps": self.sn_eps}


# Narrowest θ/φ/g width. BigGAN uses C/8 for θ, φ and C/2 for g; the tiny preset has attention on
# 4 channels (C/8 = 0). The floor is 2, not 1: with one θ/φ channel θφᵀ is an outer product whose
# gradient is a batched matrix-*vector* product, which XLA:CPU cannot compile in bfloat16. Identical
# to the reference whenever C ≥ 16 (the paper and small presets).
MIN_ATTENTION_WIDTH = 2


def _attention_widths(channels):
    return max(MIN_ATTENTION_WIDTH, channels // 8), max(MIN_ATTENTION_WIDTH, channels // 2)


@keras.saving.register_keras_serializable(package=_PKG)
class SelfAttention(keras.layers.Layer):
    """SAGAN/BigGAN self-attention: ``[batch, H, W, C] → [batch, H, W, C]`` (H, W even).

    θ = 1×1 conv C→C/8 at every position; φ (C→C/8) and g (C→C/2) are 1×1 convs followed by 2×2
    max-pooling (H·W/4 keys); β = softmax(θ φᵀ) over the keys (float32, no 1/√d scaling, as in the
    reference); o = 1×1 conv C/2→C of β g; output ``x + γ·o`` with the scalar γ initialised to 0.
    All convs are spectrally normalised and bias-free.
    """

    def __init__(self, channels, sn_eps=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.sn_eps = sn_eps
        c8, c2 = _attention_widths(channels)
        conv = dict(kernel_size=1, use_bias=False, sn_eps=sn_eps, dtype=self.dtype_policy)
        self.theta = SNConv2D(c8, **conv)
        self.phi = SNConv2D(c8, **conv)
        self.g = SNConv2D(c2, **conv)
        self.o = SNConv2D(channels, **conv)

    def build(self, x_shape):
        self.spatial = (x_shape[1], x_shape[2])
        for conv in (self.theta, self.phi, self.g):
            conv.build(x_shape)
        self.o.build((*x_shape[:-1], self.g.filters))
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")

    def call(self, x, training=None):
        h, w = x.shape[1], x.shape[2]
        n = h * w
        theta = ops.reshape(self.theta(x, training=training), (-1, n, self.theta.filters))
        phi = ops.max_pool(self.phi(x, training=training), 2, 2)
        phi = ops.reshape(phi, (-1, n // 4, self.phi.filters))
        g = ops.max_pool(self.g(x, training=training), 2, 2)
        g = ops.reshape(g, (-1, n // 4, self.g.filters))
        logits = ops.matmul(theta, ops.transpose(phi, (0, 2, 1)))           # [B, n, n/4]
        beta = ops.cast(ops.softmax(ops.cast(logits, "float32"), axis=-1), g.dtype)
        o = ops.reshape(ops.matmul(beta, g), (-1, h, w, self.g.filters))   # [B, H, W, C/2]
        return x + self.gamma * self.o(o, training=training)

    def compute_output_shape(self, x_shape):
        return x_shape

    def flops(self):
        h, w = self.spatial
        n = h * w
        matmuls = 2 * n * (n // 4) * (self.theta.filters + self.g.filters)
        return sum(c.flops() for c in (self.theta, self.phi, self.g, self.o)) + matmuls

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "sn_eps": self.sn_eps}


def upsample2x(x):
    """Nearest-neighbour ×2 on both image axes (``F.interpolate(scale_factor=2)``)."""
    return ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)


@keras.saving.register_keras_serializable(package=_PKG)
class GBlock(keras.layers.Layer):
    """BigGAN generator block: ``[batch, H, W, in] , c [batch, cond] → [batch, 2H, 2W, out]``.

    CBN → ReLU → ×2 nearest → SNConv3×3 → CBN → ReLU → SNConv3×3, plus the shortcut
    ×2 nearest → SNConv1×1 (every G block changes resolution, so the shortcut is always learnable).
    """

    def __init__(self, in_channels, out_channels, bn_eps=1e-5, sn_eps=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.bn_eps = bn_eps
        self.sn_eps = sn_eps
        bn = dict(bn_eps=bn_eps, sn_eps=sn_eps, dtype=self.dtype_policy)
        conv = dict(sn_eps=sn_eps, dtype=self.dtype_policy)
        self.bn1 = ConditionalBatchNorm(in_channels, **bn)
        self.conv1 = SNConv2D(out_channels, 3, **conv)
        self.bn2 = ConditionalBatchNorm(out_channels, **bn)
        self.conv2 = SNConv2D(out_channels, 3, **conv)
        self.conv_sc = SNConv2D(out_channels, 1, **conv)

    def build(self, x_shape, cond_shape):
        if x_shape[-1] != self.in_channels:
            raise ValueError(f"{self.name}: expected {self.in_channels} input channels, got {x_shape}")
        up = (x_shape[0], 2 * x_shape[1], 2 * x_shape[2])
        self.bn1.build(x_shape, cond_shape)
        self.conv1.build((*up, self.in_channels))
        self.bn2.build((*up, self.out_channels), cond_shape)
        self.conv2.build((*up, self.out_channels))
        self.conv_sc.build((*up, self.in_channels))

    def call(self, x, cond, training=None):
        h = ops.relu(self.bn1(x, cond, training=training))
        h = self.conv1(upsample2x(h), training=training)
        h = ops.relu(self.bn2(h, cond, training=training))
        h = self.conv2(h, training=training)
        return h + self.conv_sc(upsample2x(x), training=training)

    def compute_output_shape(self, x_shape, cond_shape):
        return (x_shape[0], 2 * x_shape[1], 2 * x_shape[2], self.out_channels)

    def flops(self):
        return sum(l.flops() for l in (self.bn1, self.conv1, self.bn2, self.conv2, self.conv_sc))

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "out_channels": self.out_channels, "bn_eps": self.bn_eps, "sn_eps": self.sn_eps}


@keras.saving.register_keras_serializable(package=_PKG)
class DBlock(keras.layers.Layer):
    """BigGAN discriminator block: ``[batch, H, W, in] → [batch, H/2, W/2, out]`` (or H, W).

    [ReLU] → SNConv3×3 → ReLU → SNConv3×3 → [2×2 average pool]. The first block of D has
    ``preactivation=False`` (no ReLU on the image). Shortcut: SNConv1×1 (with bias) when the width
    or the resolution changes — pool-then-conv for the first block, conv-then-pool otherwise
    (BigGAN-PyTorch ``DBlock.shortcut``) — identity otherwise.
    """

    def __init__(self, in_channels, out_channels, downsample=True, preactivation=True,
                 sn_eps=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.downsample = downsample
        self.preactivation = preactivation
        self.sn_eps = sn_eps
        conv = dict(sn_eps=sn_eps, dtype=self.dtype_policy)
        self.conv1 = SNConv2D(out_channels, 3, **conv)
        self.conv2 = SNConv2D(out_channels, 3, **conv)
        self.learnable_sc = in_channels != out_channels or downsample
        self.conv_sc = SNConv2D(out_channels, 1, **conv) if self.learnable_sc else None

    def build(self, x_shape):
        if x_shape[-1] != self.in_channels:
            raise ValueError(f"{self.name}: expected {self.in_channels} input channels, got {x_shape}")
        self.conv1.build(x_shape)
        self.conv2.build((*x_shape[:-1], self.out_channels))
        if self.conv_sc is not None:
            if self.preactivation or not self.downsample:
                self.conv_sc.build(x_shape)
            else:   # pooled first, then the 1×1 conv
                self.conv_sc.build((x_shape[0], x_shape[1] // 2, x_shape[2] // 2, x_shape[3]))

    def _pool(self, x):
        return ops.average_pool(x, 2, 2) if self.downsample else x

    def call(self, x, training=None):
        h = ops.relu(x) if self.preactivation else x
        h = self.conv1(h, training=training)
        h = self.conv2(ops.relu(h), training=training)
        h = self._pool(h)
        if self.conv_sc is None:
            shortcut = x
        elif self.preactivation:
            shortcut = self._pool(self.conv_sc(x, training=training))
        else:
            shortcut = self.conv_sc(self._pool(x), training=training)
        return h + shortcut

    def compute_output_shape(self, x_shape):
        f = 2 if self.downsample else 1
        return (x_shape[0], x_shape[1] // f, x_shape[2] // f, self.out_channels)

    def flops(self):
        convs = [self.conv1, self.conv2] + ([self.conv_sc] if self.conv_sc is not None else [])
        return sum(c.flops() for c in convs)

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "out_channels": self.out_channels, "downsample": self.downsample,
                "preactivation": self.preactivation, "sn_eps": self.sn_eps}
