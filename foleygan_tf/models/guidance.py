"""Visual guidance encoder: action spectrogram + action curve → G conditioning (paper §IV-A-2, §IV-B-2).

The paper feeds the action spectrogram S_act to BigGAN's generator without saying how. We inject it
two ways, selected by ``guidance`` (``gan.guidance``) (docs/models.md, "Visual guidance"):

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
