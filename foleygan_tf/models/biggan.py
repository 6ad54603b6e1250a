"""BigGAN generator and projection discriminator with FoleyGAN's visual guidance (paper §IV-B-2).

Architecture tables are BigGAN-PyTorch's ``G_arch`` / ``D_arch`` (its 512×512 D), keyed by the
image side R (``image_size``); widths are multiples of ``ch``. Facts and parameter counts:
``../shared/reference/biggan.md``; tables and numbers: docs/models.md. Both networks take explicit
constructor arguments (``get_config`` returns them); ``foleygan_tf.models.build`` makes them from
a preset.

Inputs are dicts (one documented signature, also used by the SavedModel export):

* ``Generator({"z": [B, z_dim], "class": [B] int | [B, num_classes] probs,
  "action_spectrogram": [B, R, R, 3], "action_curve": [B, R]}, training=...)``
  → ``[B, R, R, 3]`` float32 in [-1, 1] (axes: time × frequency × channel). The two action keys
  are required unless ``guidance == "none"`` (then they are ignored and may be omitted).
* ``Discriminator({"image": [B, R, R, 3], "class": ..., "action_spectrogram": [B, R, R, 3]},
  training=...)`` → ``[B, 1]`` float32 logits; ``action_spectrogram`` only when ``sees_action``.

Both models create their weights at construction (every shape follows from the arguments), so
parameter counts and checkpoint restores need no forward pass. Construction order fixes the order
of the variables, which GAN checkpoints rely on (``training.gan.variables_by_index``).
"""

from __future__ import annotations

import keras
from keras import ops

from foleygan_tf.config import GUIDANCE_MODES
from foleygan_tf.models.guidance import GuidanceEncoder
from foleygan_tf.models.layers import (BN_MOMENTUM, ClassEmbedding, DBlock, GBlock, SelfAttention,
                                       SNConv2D, SNDense, SNEmbedding, batch_norm)

BOTTOM_WIDTH = 4  # BigGAN's first feature map is 4×4

# Output width of each G block as a multiple of ch (BigGAN-PyTorch G_arch); inputs are
# [16] + outputs[:-1]. Block i maps resolution 4·2^i → 4·2^(i+1).
G_ARCH = {
    64: (16, 8, 4, 2),
    128: (16, 8, 4, 2, 1),
    256: (16, 8, 8, 4, 2, 1),
    512: (16, 8, 8, 4, 2, 1, 1),
}
# Output width of each D block (×ch) and whether it halves the resolution (BigGAN-PyTorch D_arch;
# 512 from PR #69). Inputs are [3 image channels] + outputs[:-1]; the last block keeps 4×4.
D_ARCH = {
    64: (1, 2, 4, 8, 16),
    128: (1, 2, 4, 8, 16, 16),
    256: (1, 2, 4, 8, 8, 16, 16),
    512: (1, 1, 2, 4, 8, 8, 16, 16),
}
IMAGE_CHANNELS = 3


def generator_arch(image_size, ch):
    """``[(in_channels, out_channels, in_resolution), …]`` of G's blocks for an R×R image."""
    if image_size not in G_ARCH:
        raise ValueError(f"no BigGAN generator for image_size {image_size}; supported: {sorted(G_ARCH)}")
    outs = [m * ch for m in G_ARCH[image_size]]
    ins = [16 * ch] + outs[:-1]
    return [(i, o, BOTTOM_WIDTH * 2 ** k) for k, (i, o) in enumerate(zip(ins, outs))]


def discriminator_arch(image_size, ch):
    """``[(in_channels, out_channels, downsample, in_resolution), …]`` of D's blocks."""
    if image_size not in D_ARCH:
        raise ValueError(f"no BigGAN discriminator for image_size {image_size}; supported: {sorted(D_ARCH)}")
    outs = [m * ch for m in D_ARCH[image_size]]
    ins = [IMAGE_CHANNELS] + outs[:-1]
    blocks, res = [], image_size
    for k, (i, o) in enumerate(zip(ins, outs)):
        down = k < len(outs) - 1
        blocks.append((i, o, down, res))
        res //= 2 if down else 1
    return blocks


def _attention_index(resolutions, attention_resolution, what):
    if attention_resolution not in resolutions:
        raise ValueError(
            f"attention_resolution={attention_resolution} is not a {what} block output "
            f"resolution; choose one of {resolutions}")
    return resolutions.index(attention_resolution)


@keras.saving.register_keras_serializable(package="foleygan_tf")
class Generator(keras.Model):
    """BigGAN generator G(z, class, S_act, P_act) → spectrogram image ``[B, R, R, 3]`` in [-1, 1].

    * Hierarchical z: ``z_dim`` splits into ``num_blocks + 1`` equal chunks; chunk 0 feeds the
      SN-Dense that makes the 4×4×16ch input, chunk i+1 conditions block i.
    * Per-block conditioning vector: ``[shared(class), z chunk (, global guidance)]``.
    * Self-attention after the block whose output resolution is ``attention_resolution``.
    * Output: BN (affine) → ReLU → SNConv3×3 → tanh, in float32.

    Args:
      image_size: R (64, 128, 256 or 512).
      num_classes: classes of the shared embedding (the class input may be ids or probabilities).
      ch: channel multiplier (BigGAN-512: 96).
      z_dim: latent size; divisible by the number of blocks + 1.
      shared_dim: width of the shared class embedding.
      attention_resolution: a block output resolution.
      guidance: ``"none"``, ``"global"``, ``"spatial"`` or ``"both"`` (models.guidance).
      guidance_channels: width of the guidance encoder.
      sn_eps, bn_eps: spectral-norm and batch-norm epsilons.
    """

    def __init__(self, image_size: int, num_classes: int, *, ch: int = 96, z_dim: int = 160, shared_dim: int = 128,
                 attention_resolution: int = 64, guidance: str = "both", guidance_channels: int = 32,
                 sn_eps: float = 1e-8, bn_eps: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        if guidance not in GUIDANCE_MODES:
            raise ValueError(f"guidance must be one of {GUIDANCE_MODES}, got {guidance!r}")
        self.image_size, self.num_classes, self.ch = int(image_size), int(num_classes), int(ch)
        self.z_dim, self.shared_dim = int(z_dim), int(shared_dim)
        self.attention_res, self.guidance_mode = int(attention_resolution), str(guidance)
        self.guidance_channels, self.sn_eps, self.bn_eps = int(guidance_channels), float(sn_eps), float(bn_eps)
        self.arch = generator_arch(self.image_size, self.ch)
        num_chunks = len(self.arch) + 1
        if self.z_dim % num_chunks:
            raise ValueError(
                f"z_dim={self.z_dim} must be divisible by {num_chunks}: the generator for "
                f"R={self.image_size} splits z into one chunk for its 4×4 input and one per block "
                f"({len(self.arch)} blocks)")
        self.z_chunk = self.z_dim // num_chunks
        self.spatial_guidance = guidance in ("spatial", "both")
        self.global_guidance = guidance in ("global", "both")
        gc = self.guidance_channels
        self.cond_dim = self.shared_dim + self.z_chunk + (gc if self.global_guidance else 0)
        out_res = [2 * r for _, _, r in self.arch]
        self.attention_index = _attention_index(out_res, self.attention_res, "generator")

        policy = dict(dtype=self.dtype_policy)
        self.shared = ClassEmbedding(self.num_classes, self.shared_dim, **policy)
        self.guidance = None
        if guidance != "none":
            self.guidance = GuidanceEncoder(
                self.image_size, [r for _, _, r in self.arch], gc,
                use_global=self.global_guidance, sn_eps=self.sn_eps, **policy)
        self.linear = SNDense(BOTTOM_WIDTH ** 2 * self.arch[0][0], sn_eps=self.sn_eps, **policy)
        extra = gc if self.spatial_guidance else 0
        self.blocks = [GBlock(i + extra, o, bn_eps=self.bn_eps, sn_eps=self.sn_eps, **policy)
                       for i, o, _ in self.arch]
        self.attention = SelfAttention(self.arch[self.attention_index][1], sn_eps=self.sn_eps, **policy)
        self.output_bn = keras.layers.BatchNormalization(epsilon=self.bn_eps, momentum=BN_MOMENTUM, **policy)
        self.output_conv = SNConv2D(IMAGE_CHANNELS, 3, sn_eps=self.sn_eps, **policy)
        self.build()

    def build(self, input_shape=None):
        # Every shape follows from the constructor arguments; the input shapes are ignored.
        r = self.image_size
        self.shared.build()
        if self.guidance is not None:
            self.guidance.build()
        self.linear.build((None, self.z_chunk))
        cond = (None, self.cond_dim)
        for k, (block, (_, o, res)) in enumerate(zip(self.blocks, self.arch)):
            block.build((None, res, res, block.in_channels), cond)
            if k == self.attention_index:
                self.attention.build((None, 2 * res, 2 * res, o))
        self.output_bn.build((None, r, r, self.arch[-1][1]))
        self.output_conv.build((None, r, r, self.arch[-1][1]))
        self.built = True

    def call(self, inputs, training=None):
        z, cls = inputs["z"], inputs["class"]
        zs = ops.split(z, len(self.blocks) + 1, axis=-1)
        y = self.shared(cls)
        maps, glob = [None] * len(self.blocks), None
        if self.guidance is not None:
            if "action_spectrogram" not in inputs or "action_curve" not in inputs:
                raise ValueError(f"guidance={self.guidance_mode!r}: the generator needs "
                                 "'action_spectrogram' and 'action_curve' inputs")
            maps, glob = self.guidance(inputs["action_spectrogram"], inputs["action_curve"],
                                       training=training)
        h = self.linear(zs[0], training=training)
        h = ops.reshape(h, (-1, BOTTOM_WIDTH, BOTTOM_WIDTH, self.arch[0][0]))
        for k, block in enumerate(self.blocks):
            cond = [y, ops.cast(zs[k + 1], y.dtype)] + ([glob] if self.global_guidance else [])
            if self.spatial_guidance:
                h = ops.concatenate([h, maps[k]], axis=-1)
            h = block(h, ops.concatenate(cond, axis=-1), training=training)
            if k == self.attention_index:
                h = self.attention(h, training=training)
        h = ops.relu(batch_norm(self.output_bn, h, training=training))
        return ops.tanh(ops.cast(self.output_conv(h, training=training), "float32"))

    # ---- introspection (describe, docs, tests) ----------------------------------------------
    def named_parts(self):
        """``{name: layer}`` in forward order, the unit of per-block params/FLOPs."""
        parts = {"shared_embedding": self.shared}
        if self.guidance is not None:
            parts["guidance_encoder"] = self.guidance
        parts["linear"] = self.linear
        for k, block in enumerate(self.blocks):
            res = 2 * self.arch[k][2]
            parts[f"block{k}_{res}"] = block
            if k == self.attention_index:
                parts[f"attention_{res}"] = self.attention
        parts["output_bn"] = self.output_bn
        parts["output_conv"] = self.output_conv
        return parts

    def attention_resolution(self):
        """Spatial side of the feature map the attention layer was built for."""
        return self.attention.spatial[0]

    def ortho_reg_exclusions(self):
        """Weights left out of orthogonal regularisation (BigGAN: the shared embedding)."""
        return list(self.shared.weights)

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size, "num_classes": self.num_classes,
                "ch": self.ch, "z_dim": self.z_dim, "shared_dim": self.shared_dim,
                "attention_resolution": self.attention_res, "guidance": self.guidance_mode,
                "guidance_channels": self.guidance_channels, "sn_eps": self.sn_eps, "bn_eps": self.bn_eps}


@keras.saving.register_keras_serializable(package="foleygan_tf")
class Discriminator(keras.Model):
    """BigGAN projection discriminator D(image, class) → ``[B, 1]`` realness logits (float32).

    DBlocks down to 4×4 (the last keeps 4×4), self-attention after the block whose output
    resolution is ``attention_resolution``, then ReLU → global *sum* pool →
    ``SN-Dense(1)(h) + Σ SN-Embedding(class) · h``. With ``sees_action`` the action spectrogram
    is concatenated to the image channels at the input (3 → 6 channels).

    Args:
      image_size: R; num_classes: classes of the projection embedding; ch: channel multiplier;
      attention_resolution: a block output resolution; sees_action: D(x, S_act, y) instead of the
      paper's D(x, y); sn_eps: spectral-norm epsilon.
    """

    def __init__(self, image_size: int, num_classes: int, *, ch: int = 96, attention_resolution: int = 64,
                 sees_action: bool = False, sn_eps: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.image_size, self.num_classes, self.ch = int(image_size), int(num_classes), int(ch)
        self.attention_res, self.sees_action, self.sn_eps = int(attention_resolution), bool(sees_action), float(sn_eps)
        arch = discriminator_arch(self.image_size, self.ch)
        if self.sees_action:
            i, o, down, res = arch[0]
            arch[0] = (i + IMAGE_CHANNELS, o, down, res)
        self.arch = arch
        out_res = [res // (2 if down else 1) for _, _, down, res in self.arch]
        self.attention_index = _attention_index(out_res, self.attention_res, "discriminator")
        policy = dict(dtype=self.dtype_policy)
        self.blocks = [DBlock(i, o, downsample=down, preactivation=k > 0, sn_eps=self.sn_eps, **policy)
                       for k, (i, o, down, _) in enumerate(self.arch)]
        self.attention = SelfAttention(self.arch[self.attention_index][1], sn_eps=self.sn_eps, **policy)
        width = self.arch[-1][1]
        self.linear = SNDense(1, sn_eps=self.sn_eps, **policy)
        self.embed = SNEmbedding(self.num_classes, width, sn_eps=self.sn_eps, **policy)
        self.build()

    def build(self, input_shape=None):
        for k, (block, (i, o, down, res)) in enumerate(zip(self.blocks, self.arch)):
            block.build((None, res, res, i))
            if k == self.attention_index:
                r = res // (2 if down else 1)
                self.attention.build((None, r, r, o))
        self.linear.build((None, self.arch[-1][1]))
        self.embed.build()
        self.built = True

    def call(self, inputs, training=None):
        h = inputs["image"]
        if self.sees_action:
            if "action_spectrogram" not in inputs:
                raise ValueError("sees_action=True: the discriminator needs 'action_spectrogram'")
            h = ops.concatenate([h, ops.cast(inputs["action_spectrogram"], h.dtype)], axis=-1)
        for k, block in enumerate(self.blocks):
            h = block(h, training=training)
            if k == self.attention_index:
                h = self.attention(h, training=training)
        h = ops.sum(ops.relu(h), axis=(1, 2))                                   # [B, C]
        out = self.linear(h, training=training)
        proj = ops.sum(self.embed(inputs["class"], training=training) * h, axis=-1, keepdims=True)
        return ops.cast(out + proj, "float32")

    def named_parts(self):
        parts = {}
        for k, block in enumerate(self.blocks):
            i, o, down, res = self.arch[k]
            r = res // (2 if down else 1)
            parts[f"block{k}_{r}"] = block
            if k == self.attention_index:
                parts[f"attention_{r}"] = self.attention
        parts["linear"] = self.linear
        parts["class_projection"] = self.embed
        return parts

    def attention_resolution(self):
        return self.attention.spatial[0]

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size, "num_classes": self.num_classes,
                "ch": self.ch, "attention_resolution": self.attention_res, "sees_action": self.sees_action,
                "sn_eps": self.sn_eps}
