"""Visual guidance encoder: action spectrogram + action curve → G conditioning (paper §IV-A-2, §IV-B-2).

The paper feeds the action spectrogram S_act to BigGAN's generator without saying how. We inject it
two ways, selected by ``config.gan.guidance`` (docs/models.md, "Visual guidance"):

* **spatial** — a pyramid of feature maps, one per G block input resolution (4, 8, …, R/2),
  concatenated to that block's input channels. The encoder only ever pools by 2×2 and G only ever
  upsamples by ×2 nearest, so time row ``t`` of a map at resolution r covers exactly the output
  time rows ``[t·R/r, (t+1)·R/r)``: the time axis (axis 1) stays aligned at every scale.
* **global** — the coarsest map, mean-pooled and projected (SN-Dense), appended to the per-block
  conditioning vector ``[shared class embedding, z chunk]`` that drives every conditional BN.

Encoder: ``concat(S_act, P_act broadcast over frequency)`` → 2×2 average pools down to the finest
block input (R/2) → at each resolution SNConv3×3 → ReLU (the map handed to the block), then 2×2
average pool to the next coarser resolution.
"""

from __future__ import annotations

import keras
from keras import ops

from foleygan_tf.models.layers import SNConv2D, SNDense


@keras.saving.register_keras_serializable(package="foleygan_tf")
class GuidanceEncoder(keras.layers.Layer):
    """``S_act [batch, R, R, 3]``, ``P_act [batch, R]`` → (maps, global vector).

    ``maps[i]`` is ``[batch, r_i, r_i, channels]`` at ``resolutions[i]`` (ascending, e.g. 4, 8, …,
    R/2 — the input resolutions of G's blocks, in block order); ``global`` is ``[batch, channels]``
    when ``use_global`` else ``None``.
    """

    def __init__(self, image_size, resolutions, channels, use_global=True, sn_eps=1e-8, **kwargs):
        super().__init__(**kwargs)
        resolutions = [int(r) for r in resolutions]
        if resolutions != sorted(resolutions) or any(b != 2 * a for a, b in zip(resolutions, resolutions[1:])):
            raise ValueError(f"guidance resolutions must ascend by ×2, got {resolutions}")
        if image_size % resolutions[-1]:
            raise ValueError(f"image size {image_size} is not a multiple of {resolutions[-1]}")
        self.image_size = int(image_size)
        self.resolutions = resolutions
        self.channels = int(channels)
        self.use_global = bool(use_global)
        self.sn_eps = sn_eps
        conv = dict(sn_eps=sn_eps, dtype=self.dtype_policy)
        # convs[i] works at resolutions[i]; built finest-first.
        self.convs = [SNConv2D(self.channels, 3, **conv) for _ in resolutions]
        self.global_dense = (SNDense(self.channels, sn_eps=sn_eps, dtype=self.dtype_policy)
                             if self.use_global else None)

    def build(self, action_spectrogram_shape=None, action_curve_shape=None):
        in_channels = 4  # 3 channels of S_act + the broadcast P_act
        for conv, r in zip(reversed(self.convs), reversed(self.resolutions)):
            conv.build((None, r, r, in_channels))
            in_channels = self.channels
        if self.global_dense is not None:
            self.global_dense.build((None, self.channels))

    def call(self, action_spectrogram, action_curve, training=None):
        r_img = self.image_size
        curve = ops.cast(action_curve, action_spectrogram.dtype)
        curve = ops.broadcast_to(curve[:, :, None, None], (ops.shape(curve)[0], r_img, r_img, 1))
        h = ops.concatenate([action_spectrogram, curve], axis=-1)           # [B, R, R, 4]
        pool = r_img // self.resolutions[-1]
        if pool > 1:
            h = ops.average_pool(h, pool, pool)
        maps = []
        for i in reversed(range(len(self.resolutions))):
            h = ops.relu(self.convs[i](h, training=training))
            maps.append(h)
            if i:
                h = ops.average_pool(h, 2, 2)
        maps.reverse()
        glob = None
        if self.global_dense is not None:
            glob = self.global_dense(ops.mean(maps[0], axis=(1, 2)), training=training)
        return maps, glob

    def flops(self):
        return sum(c.flops() for c in self.convs) + (
            self.global_dense.flops() if self.global_dense is not None else 0)

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size,
                "resolutions": list(self.resolutions), "channels": self.channels,
                "use_global": self.use_global, "sn_eps": self.sn_eps}


CURVE_GATE_KERNEL = 5  # taps of each temporal conv: ±4 image rows of context after two layers


@keras.saving.register_keras_serializable(package="foleygan_tf")
class CurveGate(keras.layers.Layer):
    """Action curve ``[batch, R]`` → additive gate on G's pre-tanh output ``[batch, R, F, 3]``.

    Not in the paper (``gan.curve_gate`` channels, 0 = off; docs/models.md "Curve gate"). The
    spatial guidance reaches G only at its block inputs (≤ R/2 rows) and must survive the last
    block, the output BN and conv; the gate adds, at full time resolution, a learned function of
    the curve to every output pixel:

        ``u = ReLU(conv1d(ReLU(conv1d(curve))))``  (``[batch, R, channels]``, kernel 5, "same")
        ``gate[b, t, f, c] = Σ_k u[b, t, k] · A[k, f, c] + β[f, c]``

    On ch0 (log magnitude) an additive term is a per-row, per-bin gain: G can hush the rows between
    the events and lift the attacks directly from the timing it is given. ``A`` and ``β`` start at
    zero, so a new G starts as the plain BigGAN G.
    """

    def __init__(self, image_size, frequency_bins, channels, out_channels=3, kernel_size=CURVE_GATE_KERNEL,
                 **kwargs):
        super().__init__(**kwargs)
        self.image_size = int(image_size)
        self.frequency_bins = int(frequency_bins)
        self.channels = int(channels)
        self.out_channels = int(out_channels)
        self.kernel_size = int(kernel_size)
        if min(self.channels, self.kernel_size, self.out_channels) < 1:
            raise ValueError("CurveGate needs channels, kernel_size and out_channels ≥ 1")

    def build(self, action_curve_shape=None):
        k, c = self.kernel_size, self.channels
        self.kernel1 = self.add_weight(name="kernel1", shape=(k, 1, c), initializer="glorot_uniform")
        self.bias1 = self.add_weight(name="bias1", shape=(c,), initializer="zeros")
        self.kernel2 = self.add_weight(name="kernel2", shape=(k, c, c), initializer="glorot_uniform")
        self.bias2 = self.add_weight(name="bias2", shape=(c,), initializer="zeros")
        out = self.frequency_bins * self.out_channels
        self.projection = self.add_weight(name="projection", shape=(c, out), initializer="zeros")
        self.offset = self.add_weight(name="offset", shape=(out,), initializer="zeros")
        self.built = True

    def call(self, action_curve):
        dtype = self.compute_dtype
        u = ops.cast(action_curve, dtype)[:, :, None]                          # [B, R, 1]
        u = ops.relu(ops.conv(u, ops.cast(self.kernel1, dtype), padding="same") + ops.cast(self.bias1, dtype))
        u = ops.relu(ops.conv(u, ops.cast(self.kernel2, dtype), padding="same") + ops.cast(self.bias2, dtype))
        g = ops.matmul(ops.reshape(u, (-1, self.channels)), ops.cast(self.projection, dtype))
        g = g + ops.cast(self.offset, dtype)
        return ops.reshape(g, (-1, self.image_size, self.frequency_bins, self.out_channels))

    def flops(self):
        r, k, c = self.image_size, self.kernel_size, self.channels
        return 2 * r * k * c + 2 * r * k * c * c + 2 * r * c * self.frequency_bins * self.out_channels

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size,
                "frequency_bins": self.frequency_bins, "channels": self.channels,
                "out_channels": self.out_channels, "kernel_size": self.kernel_size}
