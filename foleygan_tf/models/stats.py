"""Parameter counts and forward FLOPs of the networks (``foleygan describe``, docs, benchmarks).

Conventions (docs/models.md, "Counting"):

* **Parameters** = trainable variables only — what PyTorch's ``sum(p.numel() for p in
  model.parameters())`` counts, hence directly comparable with BigGAN's published numbers. Buffers
  (BN moving mean/variance, the spectral-norm ``u`` vectors) are non-trainable variables here and
  are reported separately as ``non_trainable``.
* **FLOPs** = 2 × multiply-adds of convolutions, dense products and attention matmuls for *one*
  example (batch 1), forward only; element-wise work (BN, activations, pooling, additions) and the
  batch-independent spectral-norm power iteration are not counted.

Two independent counters: ``analytic_flops`` sums the ``flops()`` every project layer derives from
its shapes (per block, no graph needed — cheap even for the paper preset), and ``graph_flops``
traces any Keras model and sums the matmul/convolution ops of the graph, reading their static
shapes (used for models from other modules, and by the tests to cross-check the analytic count —
traced under ``layers.reference_resampling()`` — and the count the default path executes,
``executed_flops``).
The graph counter takes ``F(batch=2) − F(batch=1)``, which cancels work that does not depend on the
batch (the power iteration) and keeps exactly the per-example cost.
"""

from __future__ import annotations

import math

import keras

_MATMUL_OPS = {"MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"}
_CONV_OPS = {"Conv2D", "Conv3D", "DepthwiseConv2dNative"}
# a transposed convolution (the folded upsampling of G's blocks) is a forward op in a forward graph
_TRANSPOSED_CONV_OPS = {"Conv2DBackpropInput"}


def count_parameters(layer) -> int:
    """Trainable scalars of ``layer`` (PyTorch's parameter count)."""
    return sum(math.prod(w.shape) for w in layer.trainable_weights)


def count_non_trainable(layer) -> int:
    """Non-trainable scalars (BN moving statistics, spectral-norm ``u``; PyTorch buffers)."""
    return sum(math.prod(w.shape) for w in layer.non_trainable_weights)


def analytic_flops(layer) -> int:
    """Forward FLOPs of one example through ``layer`` from its own ``flops()``; BN counts 0."""
    if hasattr(layer, "flops"):
        return int(layer.flops())
    if isinstance(layer, keras.layers.BatchNormalization):
        return 0
    raise TypeError(f"no analytic FLOP count for {type(layer).__name__}")


def executed_flops(layer) -> int:
    """The forward FLOPs of one example the default path executes: ``analytic_flops`` less what
    the resampling convolutions save by folding (``SNConv2D.executed_flops``)."""
    from foleygan_tf.models.layers import SNConv2D

    saved = sum(l.flops() - l.executed_flops() for l in layer._flatten_layers(include_self=True, recursive=True)
                if isinstance(l, SNConv2D))
    parts = layer.named_parts().values() if hasattr(layer, "named_parts") else [layer]
    return sum(analytic_flops(part) for part in parts) - saved


def _op_flops(op) -> int:
    out = op.outputs[0].shape
    if op.type in _MATMUL_OPS:
        a = op.inputs[0].shape
        if op.type == "MatMul":
            k = a[0] if op.get_attr("transpose_a") else a[1]
        else:
            k = a[-2] if op.get_attr("adj_x") else a[-1]
        return 2 * math.prod(out) * k
    if op.type in _CONV_OPS:
        kernel = op.inputs[1].shape  # [kh, kw(, kd), in, out|multiplier]
        if op.type == "DepthwiseConv2dNative":
            return 2 * math.prod(out) * kernel[0] * kernel[1]
        return 2 * math.prod(out) * math.prod(kernel[:-1])
    if op.type in _TRANSPOSED_CONV_OPS:   # inputs: output sizes, kernel [kh, kw, out, in], input
        kernel = op.inputs[1].shape
        return 2 * math.prod(op.inputs[2].shape) * math.prod(kernel[:-1])
    return 0


def _traced_flops(fn, specs) -> int:
    import tensorflow as tf

    graph = tf.function(fn).get_concrete_function(specs).graph
    total = 0
    for op in graph.get_operations():
        if op.type in _MATMUL_OPS | _CONV_OPS | _TRANSPOSED_CONV_OPS:
            if not op.outputs[0].shape.is_fully_defined():
                raise ValueError(f"graph_flops: {op.name} has a dynamic shape {op.outputs[0].shape}")
            total += _op_flops(op)
    return total


def graph_flops(fn, make_specs) -> int:
    """Per-example forward FLOPs of ``fn(inputs)`` counted on its traced graph.

    ``make_specs(batch)`` returns the (nested) ``tf.TensorSpec`` structure for a batch size; the
    result is ``F(2) − F(1)`` (see the module docstring). Nothing is executed.
    """
    return _traced_flops(fn, make_specs(2)) - _traced_flops(fn, make_specs(1))


def gan_input_specs(config, batch, discriminator=False):
    """``tf.TensorSpec`` dict of G's (or D's) inputs for ``config`` (integer classes)."""
    import tensorflow as tf

    r = config.audio.image_size
    image = tf.TensorSpec((batch, r, r, 3), tf.float32)
    specs = {"class": tf.TensorSpec((batch,), tf.int32)}
    if discriminator:
        specs["image"] = image
        if config.gan.d_sees_action:
            specs["action_spectrogram"] = image
    else:
        specs["z"] = tf.TensorSpec((batch, config.gan.z_dim), tf.float32)
        if config.gan.guidance != "none":
            specs["action_spectrogram"] = image
            specs["action_curve"] = tf.TensorSpec((batch, r), tf.float32)
    return specs


def _gan_entry(model) -> dict:
    blocks = {name: {"params": count_parameters(layer), "gflops": analytic_flops(layer) / 1e9}
              for name, layer in model.named_parts().items()}
    return {
        "params": count_parameters(model),
        "non_trainable": count_non_trainable(model),
        "gflops": sum(analytic_flops(layer) for layer in model.named_parts().values()) / 1e9,
        "executed_gflops": executed_flops(model) / 1e9,
        "blocks": blocks,
    }


def _trn_entries(config) -> dict:
    """MTRN and 2TRN entries (the relation heads; the frame backbone is not counted)."""
    import tensorflow as tf

    from foleygan_tf.models.build import build_trn_heads

    mtrn, pair = build_trn_heads(config)
    frames, dim = config.video.num_segments, config.trn.projection_dim
    pair_dim = int(pair.g1.kernel.shape[0]) // (2 if config.trn.pair_input == "concat" else 1)
    pair_frames = 1 if config.trn.pair_input == "rgb_difference" else 2   # rgb_difference: one vector per pair
    return {
        "mtrn": {
            "params": count_parameters(mtrn),
            "gflops": graph_flops(lambda x: mtrn(x, training=False),
                                  lambda b: tf.TensorSpec((b, frames, dim), tf.float32)) / 1e9,
            "flops_per": f"clip ({frames} frame features of {dim}, random relation draw)",
        },
        "pair_trn": {
            "params": count_parameters(pair),
            "gflops": graph_flops(lambda x: pair(x),
                                  lambda b: tf.TensorSpec((b, pair_frames, pair_dim), tf.float32)) / 1e9,
            "flops_per": f"consecutive frame pair ({pair_dim}-d features)",
        },
    }


def describe_networks(config, include_trn=True) -> dict:
    """``{"generator": {...}, "discriminator": {...}[, "mtrn": {...}, "pair_trn": {...}]}``.

    Each entry: ``params`` (trainable), ``gflops`` (forward, batch 1) and, for G and D,
    ``non_trainable`` and a per-block breakdown ``blocks: {name: {params, gflops}}``. The models are
    built with zero kernels (``shape_only_weights``): only shapes matter here.
    """
    from foleygan_tf.models.build import build_discriminator, build_generator
    from foleygan_tf.models.layers import shape_only_weights

    with shape_only_weights():
        generator = build_generator(config)
        discriminator = build_discriminator(config)
    report = {"generator": _gan_entry(generator), "discriminator": _gan_entry(discriminator)}
    del generator, discriminator
    if include_trn:
        report.update(_trn_entries(config))
    return report
