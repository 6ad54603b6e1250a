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
element-wise work such as BN, ReLU, pooling and additions is not counted). The count is that of the
reference computation, which ``reference_resampling()`` traces; the default path computes the same
function with fewer operations (below), so the count is the yardstick of throughput, not of the
work executed.

Speed (the narrow networks a CPU trains spend most of their time outside the convolutions), each
exact up to float rounding (tests/test_layers.py compares every one with the reference):

* resampling folded into the convolutions (``SNConv2D(resample=...)``): G's ×2 nearest upsampling
  followed by a 3×3 conv is one stride-2 transposed conv with a 4×4 kernel (4/9 of the
  multiply-adds, no upsampled tensor); D's 3×3 conv followed by 2×2 average pooling is one 4×4
  stride-2 conv (4/9 again); a 1×1 conv commutes with both, so the shortcuts run at the low
  resolution;
* batch norm through TensorFlow's fused kernel in training (one op forward, one backward), the
  moving statistics folded into conditional BN's affine map at inference;
* the self-attention's softmax with a hand-written backward pass that makes two passes less over
  the [B, HW, HW/4] attention matrix (memory-bound at 64 × 64), a few examples at a time;
* ``fixed_kernels``: W/σ supplied from outside (one power iteration per optimizer update, computed
  outside the gradient-accumulation loop — ``training.gan``; or frozen for export).
"""

from __future__ import annotations

import contextlib
import contextvars

import keras
import tensorflow as tf   # fused batch norm, transposed conv and custom gradients (TF backend only)
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


_REFERENCE_RESAMPLING = contextvars.ContextVar("foleygan_reference_resampling", default=False)


@contextlib.contextmanager
def reference_resampling():
    """Layers called (or traced) inside this context compute resampling convolutions the reference
    way — upsample then convolve, convolve then pool — instead of folding the resampling into the
    kernel. Same function, the FLOPs ``flops()`` counts: for FLOP checks against TensorFlow's
    profiler and for parity tests; never needed otherwise."""
    token = _REFERENCE_RESAMPLING.set(True)
    try:
        yield
    finally:
        _REFERENCE_RESAMPLING.reset(token)


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

    ``fixed_kernel`` (None by default; set through :func:`fixed_kernels`) replaces the whole
    computation by a given tensor — the value ``normalized_kernel`` would return: calls then run no
    power iteration and leave ``u`` alone.
    """

    def __init__(self, sn_eps=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.sn_eps = sn_eps
        self.set_fixed_kernel(None)

    def set_fixed_kernel(self, kernel):
        """Apply ``kernel`` (a tensor or variable: ``normalized_kernel``'s value) instead of
        normalising — or normalise again with None. A plain attribute, never a tracked weight."""
        object.__setattr__(self, "fixed_kernel", kernel)

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

    def _kernel_transform(self, w):
        """The float32 ``W/σ`` → the kernel the layer applies (subclasses fold resampling in)."""
        return w

    def normalized_kernel(self, training=None):
        """The kernel this layer applies, in its compute dtype: ``W / σ(W)`` (for resampling
        convolutions with the resampling folded in, see ``SNConv2D``), or ``fixed_kernel``."""
        if self.fixed_kernel is not None:
            return self.fixed_kernel
        w = ops.convert_to_tensor(self.kernel)
        w_mat = ops.reshape(w, (-1, w.shape[-1]))
        u = ops.convert_to_tensor(self.u)
        v = ops.stop_gradient(_normalize(ops.matmul(u, ops.transpose(w_mat)), self.sn_eps))
        u_new = ops.stop_gradient(_normalize(ops.matmul(v, w_mat), self.sn_eps))
        sigma = ops.sum(ops.matmul(v, w_mat) * u_new)
        if training:
            self.u.assign(u_new)
        return ops.cast(self._kernel_transform(w / sigma), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "sn_eps": self.sn_eps}


def spectral_norm_layers(model) -> list:
    """The spectrally normalised layers of ``model`` (or layer), in a fixed order."""
    return [layer for layer in model._flatten_layers(include_self=True, recursive=True)
            if isinstance(layer, _SpectralNorm)]


@contextlib.contextmanager
def fixed_kernels(layers, kernels):
    """Within the context, each of ``layers`` (spectrally normalised) applies the given kernel
    (``normalized_kernel``'s value, e.g. computed once outside a gradient-accumulation loop) instead
    of normalising its own. Python state: enter it where the layers are called (at trace time)."""
    layers, kernels = list(layers), list(kernels)
    if len(layers) != len(kernels):
        raise ValueError(f"fixed_kernels: {len(layers)} layers but {len(kernels)} kernels")
    previous = [layer.fixed_kernel for layer in layers]
    for layer, kernel in zip(layers, kernels):
        layer.set_fixed_kernel(kernel)
    try:
        yield
    finally:
        for layer, kernel in zip(layers, previous):
            layer.set_fixed_kernel(kernel)


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


@tf.custom_gradient
def upsample2x(x):
    """Nearest-neighbour ×2 on both image axes (``F.interpolate(scale_factor=2)``): one resize op,
    and for the gradient (the sum of each 2 × 2 block) one average pool — ``ops.repeat`` twice cost
    two ``Tile``-based copies each way, and XLA has no kernel for the resize's own gradient."""
    y = tf.image.resize(x, (2 * x.shape[1], 2 * x.shape[2]), method="nearest")

    def grad(dy):
        return 4.0 * tf.nn.avg_pool2d(dy, 2, 2, "VALID")

    return y, grad


RESAMPLE_MODES = (None, "up", "down")


def _fold_kernel(w, resample):
    """The 3×3 kernel ``w [3, 3, in, out]`` with a ×2 resampling folded in, ``[4, 4, …]``.

    Along each image axis, output rows 2i and 2i+1 of "×2 nearest, then the 3×3 conv" read input
    rows i−1…i+1 with the taps (k0, k1+k2) and (k0+k1, k2): a stride-2 transposed conv with the
    4-tap kernel [k2, k1+k2, k0+k1, k0] (TensorFlow's transposed conv reverses the taps; its kernel
    is ``[4, 4, out, in]``). The mean of conv rows 2i and 2i+1 reads input rows 2i−1…2i+2 with
    ½[k0, k0+k1, k1+k2, k2]: a stride-2 4×4 conv. Both are 2 × 2 window sums of the zero-padded
    kernel — one stride-1 average pool over the kernel seen as a 3 × 3 image with in·out channels
    (one op each way; slices and additions cost a dozen, an ``einsum`` ~1 ms a call).
    """
    k, _, cin, cout = w.shape
    if resample == "up":
        w = ops.flip(ops.flip(w, 0), 1)
    image = ops.pad(ops.reshape(w, (1, k, k, cin * cout)), ((0, 0), (1, 1), (1, 1), (0, 0)))
    folded = ops.reshape(ops.average_pool(image, 2, 1), (k + 1, k + 1, cin, cout))
    return 4.0 * ops.transpose(folded, (0, 1, 3, 2)) if resample == "up" else folded


@keras.saving.register_keras_serializable(package=_PKG)
class SNConv2D(_SpectralNorm):
    """Spectrally normalised stride-1 'same' convolution: ``[batch, H, W, in] → [batch, H, W, filters]``.

    ``resample`` adds a ×2 resampling around it, computed without the intermediate tensor:

    * ``"up"`` — convolves the ×2 nearest-neighbour upsampling of the input (``[batch, 2H, 2W,
      filters]``): a 3×3 kernel becomes a stride-2 transposed conv with the folded 4×4 kernel, a
      1×1 conv runs before the upsampling (they commute);
    * ``"down"`` — 2×2 average pooling of the conv output (``[batch, H/2, W/2, filters]``): a 3×3
      kernel becomes a stride-2 4×4 conv, a 1×1 conv runs after the pooling.

    ``build`` takes the input shape; ``flops()`` counts the reference order (upsample then conv at
    2H × 2W; conv at H × W then pool), which ``reference_resampling()`` executes.
    """

    def __init__(self, filters, kernel_size=3, use_bias=True, resample=None, **kwargs):
        super().__init__(**kwargs)
        if resample not in RESAMPLE_MODES:
            raise ValueError(f"resample must be one of {RESAMPLE_MODES}, got {resample!r}")
        if resample is not None and kernel_size not in (1, 3):
            raise ValueError(f"resample={resample!r} needs kernel_size 1 or 3, got {kernel_size}")
        self.filters = filters
        self.kernel_size = kernel_size
        self.use_bias = use_bias
        self.resample = resample

    def build(self, input_shape):
        self.spatial = (input_shape[1], input_shape[2])  # for flops(); None if dynamic
        self.in_channels = int(input_shape[-1])
        k = self.kernel_size
        self._add_sn_kernel((k, k, self.in_channels, self.filters))
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def _folded(self):
        return self.resample is not None and self.kernel_size == 3 and not _REFERENCE_RESAMPLING.get()

    def _kernel_transform(self, w):
        if self._folded():   # folded in float32, before the cast to the compute dtype
            return _fold_kernel(w, self.resample)
        return w

    def _conv(self, x, kernel):
        """The stride-1 'same' convolution and its bias."""
        y = ops.conv(x, kernel, strides=1, padding="same")
        return y + self.bias if self.use_bias else y

    def call(self, x, training=None):
        kernel = self.normalized_kernel(training)
        if self.resample is None or _REFERENCE_RESAMPLING.get():
            y = self._conv(upsample2x(x) if self.resample == "up" else x, kernel)
            return ops.average_pool(y, 2, 2) if self.resample == "down" else y
        if self.kernel_size == 1:   # a 1×1 conv (and its bias) commutes with the resampling
            y = self._conv(ops.average_pool(x, 2, 2) if self.resample == "down" else x, kernel)
            return upsample2x(y) if self.resample == "up" else y
        if self.resample == "up":
            shape = ops.shape(x)
            y = tf.nn.conv2d_transpose(x, kernel, [shape[0], 2 * shape[1], 2 * shape[2], self.filters],
                                       strides=2, padding="SAME")
        else:
            y = tf.nn.conv2d(x, kernel, strides=2, padding="SAME")
        return y + self.bias if self.use_bias else y

    def compute_output_shape(self, input_shape):
        b, h, w = input_shape[:3]
        if self.resample == "up":
            h, w = (None if d is None else 2 * d for d in (h, w))
        elif self.resample == "down":
            h, w = (None if d is None else d // 2 for d in (h, w))
        return (b, h, w, self.filters)

    def flops(self):
        h, w = self.spatial
        if h is None or w is None:
            raise ValueError(f"{self.name}: built without a static spatial size, FLOPs unknown")
        out = 4 * h * w if self.resample == "up" else h * w   # "down" pools after a full-size conv
        return 2 * out * self.kernel_size ** 2 * self.in_channels * self.filters

    def executed_flops(self):
        """The forward FLOPs the default path executes: a folded 3×3 kernel makes 16 taps per
        low-resolution pixel instead of 9 per full-resolution pixel (4/9), a 1×1 conv runs at the
        low resolution (1/4)."""
        if self.resample is None:
            return self.flops()
        return self.flops() * 4 // 9 if self.kernel_size == 3 else self.flops() // 4

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "use_bias": self.use_bias, "resample": self.resample}


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


def batch_norm(bn, x, training=None):
    """``bn(x, training=training)`` for a Keras ``BatchNormalization`` ``bn`` over the channels of
    an NHWC tensor, through TensorFlow's fused kernel in training: one op forward and one backward
    instead of the dozen element-wise ops and reductions of Keras' moments + normalisation. Same
    numbers: statistics in float32, the moving averages updated with the *biased* batch variance as
    Keras does (the kernel returns the unbiased one), the output in ``bn``'s compute dtype."""
    if not (training and bn.trainable):
        return bn(x, training=False)
    channels = x.shape[-1]
    x32 = ops.cast(x, "float32")
    scale = ops.cast(bn.gamma, "float32") if bn.scale else tf.ones([channels])
    offset = ops.cast(bn.beta, "float32") if bn.center else tf.zeros([channels])
    y, mean, variance = tf.raw_ops.FusedBatchNormV3(
        x=x32, scale=scale, offset=offset, mean=tf.zeros([0]), variance=tf.zeros([0]),
        epsilon=bn.epsilon, exponential_avg_factor=1.0, data_format="NHWC", is_training=True)[:3]
    n = ops.cast(ops.size(x32) // channels, "float32")
    variance = variance * ((n - 1.0) / n)
    bn.moving_mean.assign(bn.moving_mean * bn.momentum + mean * (1.0 - bn.momentum))
    bn.moving_variance.assign(bn.moving_variance * bn.momentum + variance * (1.0 - bn.momentum))
    return ops.cast(y, bn.compute_dtype)


@keras.saving.register_keras_serializable(package=_PKG)
class ConditionalBatchNorm(keras.layers.Layer):
    """BigGAN ``ccbn``: ``BN(x) · (1 + gain(c)) + bias(c)``.

    ``x [batch, H, W, channels]``, ``c [batch, cond_dim]`` → ``[batch, H, W, channels]``. The BN is
    non-affine (its statistics in float32, see Keras' BatchNormalization); ``gain`` and ``bias`` are
    SN-Dense layers without bias. The ``1 +`` matters: compare_gan omits it (a known bug).

    Training normalises with the fused kernel (``batch_norm``). Inference folds the moving
    statistics into the per-example affine map, ``x · a + b`` with ``a = (1 + gain)/√(var + ε)`` and
    ``b = bias − mean · a`` computed in float32: two element-wise passes over ``x`` instead of four
    (six under bfloat16, with the casts around Keras' float32 normalisation).
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
        gain = 1.0 + self.gain(cond, training=training)
        bias = self.bias(cond, training=training)
        if training:
            h = batch_norm(self.bn, x, training=True)
            return h * gain[:, None, None, :] + bias[:, None, None, :]
        inv = ops.rsqrt(ops.convert_to_tensor(self.bn.moving_variance) + self.bn_eps)
        scale = ops.cast(gain, "float32") * inv
        shift = ops.cast(bias, "float32") - ops.convert_to_tensor(self.bn.moving_mean) * scale
        scale, shift = (ops.cast(t, x.dtype)[:, None, None, :] for t in (scale, shift))
        return x * scale + shift

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


@tf.custom_gradient
def attend(theta, phi, g):
    """``softmax(θ φᵀ) g`` for ``θ [B, n, d]``, ``φ [B, m, d]``, ``g [B, m, e]`` (softmax over the
    m keys, in float32) with a hand-written backward pass that makes fewer passes over the
    ``[B, n, m]`` matrices — at 64 × 64 the largest tensors of a narrow network's step, and
    memory-bound. The softmax gradient is ``β ∘ (dβ − D)`` with ``dβ = dO gᵀ`` and the row sums
    ``D_i = Σ_j β_ij dβ_ij = dO_i · O_i`` (the identity FlashAttention uses: a ``[B, n]`` reduction
    instead of a pass over the matrix); and ``dβ − D = [dO, −D] [g, 1]ᵀ`` comes out of one matmul,
    with no subtraction pass."""
    logits = tf.matmul(theta, phi, transpose_b=True)                            # [B, n, m]
    beta32 = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)
    beta = tf.cast(beta32, g.dtype)
    out = tf.matmul(beta, g)

    def grad(d_out):
        d_g = tf.matmul(beta, d_out, transpose_a=True)
        rows = tf.reduce_sum(tf.cast(d_out, tf.float32) * tf.cast(out, tf.float32), axis=-1, keepdims=True)
        left = tf.concat([d_out, tf.cast(-rows, d_out.dtype)], axis=-1)          # [B, n, e + 1]
        right = tf.concat([g, tf.ones_like(g[..., :1])], axis=-1)               # [B, m, e + 1]
        d_logits = beta32 * tf.cast(tf.matmul(left, right, transpose_b=True), tf.float32)
        d_logits = tf.cast(d_logits, theta.dtype)
        return tf.matmul(d_logits, phi), tf.matmul(d_logits, theta, transpose_a=True), d_g

    return out, grad


# Largest [examples, n, m] float32 attention matrix one op works on. Larger buffers come from
# mmap'd memory that glibc returns to the system when freed (its mmap threshold tops out at 32 MB),
# so every op of the chain faults its output in again, page by page: at 64 × 64 (a 16 MB matrix
# per example) four examples at once made each pass over the matrix ~25 % slower.
ATTENTION_CHUNK_BYTES = 16 * 2 ** 20


def _attend_in_chunks(theta, phi, g):
    """``attend`` over groups of examples whose attention matrices fit ``ATTENTION_CHUNK_BYTES``
    (one group when the batch size is not static)."""
    batch, n, m = theta.shape[0], theta.shape[1], phi.shape[1]
    per_group = max(1, ATTENTION_CHUNK_BYTES // (4 * n * m))
    if batch is None or batch <= per_group:
        return attend(theta, phi, g)
    return ops.concatenate([attend(theta[i:i + per_group], phi[i:i + per_group], g[i:i + per_group])
                            for i in range(0, batch, per_group)], axis=0)


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
        o = ops.reshape(_attend_in_chunks(theta, phi, g), (-1, h, w, self.g.filters))   # [B, H, W, C/2]
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


@keras.saving.register_keras_serializable(package=_PKG)
class GBlock(keras.layers.Layer):
    """BigGAN generator block: ``[batch, H, W, in] , c [batch, cond] → [batch, 2H, 2W, out]``.

    CBN → ReLU → ×2 nearest → SNConv3×3 → CBN → ReLU → SNConv3×3, plus the shortcut
    ×2 nearest → SNConv1×1 (every G block changes resolution, so the shortcut is always learnable).
    The upsampling is folded into ``conv1`` and ``conv_sc`` (``SNConv2D(resample="up")``).
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
        self.conv1 = SNConv2D(out_channels, 3, resample="up", **conv)
        self.bn2 = ConditionalBatchNorm(out_channels, **bn)
        self.conv2 = SNConv2D(out_channels, 3, **conv)
        self.conv_sc = SNConv2D(out_channels, 1, resample="up", **conv)

    def build(self, x_shape, cond_shape):
        if x_shape[-1] != self.in_channels:
            raise ValueError(f"{self.name}: expected {self.in_channels} input channels, got {x_shape}")
        up = (x_shape[0], 2 * x_shape[1], 2 * x_shape[2])
        self.bn1.build(x_shape, cond_shape)
        self.conv1.build(x_shape)
        self.bn2.build((*up, self.out_channels), cond_shape)
        self.conv2.build((*up, self.out_channels))
        self.conv_sc.build(x_shape)

    def call(self, x, cond, training=None):
        h = ops.relu(self.bn1(x, cond, training=training))
        h = self.conv1(h, training=training)                 # ×2 nearest, then the 3×3 conv
        h = ops.relu(self.bn2(h, cond, training=training))
        h = self.conv2(h, training=training)
        return h + self.conv_sc(x, training=training)        # ×2 nearest, then the 1×1 conv

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
    (BigGAN-PyTorch ``DBlock.shortcut``) — identity otherwise. The pooling is folded into
    ``conv2`` and the shortcut conv (``SNConv2D(resample="down")``; a 1×1 conv commutes with
    average pooling, so both shortcut orders pool first).
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
        down = "down" if downsample else None
        self.conv1 = SNConv2D(out_channels, 3, **conv)
        self.conv2 = SNConv2D(out_channels, 3, resample=down, **conv)
        self.learnable_sc = in_channels != out_channels or downsample
        # the first block pools the image first (its reference order, whose FLOPs flops() counts)
        sc_resample = down if preactivation else None
        self.conv_sc = SNConv2D(out_channels, 1, resample=sc_resample, **conv) if self.learnable_sc else None

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
        h = self.conv2(ops.relu(h), training=training)       # the 3×3 conv, then the pooling
        if self.conv_sc is None:
            shortcut = x
        elif self.preactivation:
            shortcut = self.conv_sc(x, training=training)    # the 1×1 conv, then the pooling
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
