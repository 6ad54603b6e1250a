"""Networks from a config: the one place where a preset's fields become constructor arguments.

Every network takes explicit arguments (``get_config`` returns them); these functions read a
:class:`foleygan_tf.config.Config` and build the networks a preset describes.
"""

from __future__ import annotations


def build_generator(config, **kwargs):
    """The BigGAN generator of ``config``."""
    from foleygan_tf.models.biggan import Generator

    g = config.gan
    return Generator(config.audio.image_size, config.num_classes, ch=g.ch, z_dim=g.z_dim, shared_dim=g.shared_dim,
                     attention_resolution=g.attention_resolution, guidance=g.guidance,
                     guidance_channels=g.guidance_channels, sn_eps=g.sn_eps, bn_eps=g.bn_eps, **kwargs)


def build_discriminator(config, **kwargs):
    """The BigGAN discriminator of ``config`` (``gan.d_sees_action``: D also gets S_act)."""
    from foleygan_tf.models.biggan import Discriminator

    g = config.gan
    return Discriminator(config.audio.image_size, config.num_classes, ch=g.ch,
                         attention_resolution=g.attention_resolution, sees_action=g.d_sees_action,
                         sn_eps=g.sn_eps, **kwargs)


def action_recognizer_kwargs(config) -> dict:
    """Constructor arguments of :class:`foleygan_tf.models.trn.ActionRecognizer` for ``config``."""
    v, t = config.video, config.trn
    return dict(num_classes=config.num_classes, num_segments=v.num_segments, frame_size=v.frame_size,
                backbone=v.backbone, feature_dim=v.feature_dim, imagenet_weights=v.imagenet_weights,
                projection_dim=t.projection_dim, dropout=t.dropout, mlp_units=t.mlp_units,
                mtrn_g_layers=t.mtrn_g_layers, relations_per_scale=t.relations_per_scale,
                pair_input=t.pair_input, motion_alignment=t.motion_alignment, pact_gain=t.pact_gain,
                seed=config.seed)


def build_action_recognizer(config, *, deterministic: bool = False, **kwargs):
    """The video action-recognition block (backbone, MTRN, 2TRN) of ``config``, weights created."""
    from foleygan_tf.models.action_recognizer import ActionRecognizer

    return ActionRecognizer(**action_recognizer_kwargs(config), deterministic=deterministic,
                            name=kwargs.pop("name", "action_recognizer"), **kwargs)


def build_trn_heads(config):
    """``(mtrn, pair_trn)`` of ``config``, built, without the backbone (``foleygan describe``).

    The MTRN reads ``trn.projection_dim``-wide frame embeddings; the 2TRN reads the same, or with
    ``trn.pair_input = "rgb_difference"`` its motion stream's features."""
    from foleygan_tf.models.trn import MultiScaleTRN, PairTRN
    from foleygan_tf.video.features import motion_feature_width

    t = config.trn
    mtrn = MultiScaleTRN(config.video.num_segments, t.projection_dim, config.num_classes, mlp_units=t.mlp_units,
                         g_layers=t.mtrn_g_layers, relations_per_scale=t.relations_per_scale, seed=config.seed,
                         name="mtrn")
    mtrn.build((None, config.video.num_segments, t.projection_dim))
    pair = PairTRN(num_classes=config.num_classes, mlp_units=t.mlp_units, pair_input=t.pair_input, name="pair_trn")
    width = motion_feature_width(config.video.feature_dim) if t.pair_input == "rgb_difference" else t.projection_dim
    pair.build((None, None, width))
    return mtrn, pair
