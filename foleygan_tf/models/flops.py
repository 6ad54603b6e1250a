"""FLOP accounting per preset: G, D and the TRNs per example, a train-step estimate, and two
independent checkers (a Keras layer walk and TensorFlow's own profiler).

Convention (as :mod:`foleygan_tf.models.stats`, docs/models.md "Counting"): FLOPs = 2 × the
multiply-adds of convolutions, dense products and attention matmuls for one example, forward
only; element-wise work (BN, activations, pooling, additions) is not counted.

* :func:`generator_flops` / :func:`discriminator_flops` — sum of the analytic ``flops()`` of every
  block of a built :class:`~foleygan_tf.models.biggan.Generator` / ``Discriminator``: the
  reference computation's count, the yardstick of every efficiency (the default path folds the
  resampling into the convolutions and executes fewer: ``*_executed_gflops``,
  ``stats.executed_flops``).
* :func:`preset_flops` — ``{generator, discriminator, mtrn, pair_trn, train_step}`` GFLOPs per
  example for a config; the models are built with zero kernels (no initialisation cost). The
  TRN numbers are traced-graph counts (``stats.graph_flops``).
* :func:`train_step_gflops_per_example` — an **estimate** of one adversarial ``train_step``'s
  cost per consumed example: backward ≈ 2 × forward (input and weight gradients). Per D update
  and example: G forward + D forward on real and fake + their backward = F_G + 6 F_D; the G update
  (on the last D group's examples): G and D forward + backward = 3 F_G + 3 F_D.
* :func:`keras_layer_flops` — walks a plain Keras model's ``Conv2D``/``Dense``/``DepthwiseConv2D``
  layers using their built shapes (a counter that knows nothing of our layers' ``flops()``).
* :func:`profiler_flops` — TensorFlow's ``tf.compat.v1.profiler`` ``float_ops`` of a traced
  graph, restricted to convolutions and matmuls (the third, independent count used in the tests).
"""

from __future__ import annotations

import math

from foleygan_tf.models.stats import analytic_flops

_PROFILED_OPS = ("Conv2D", "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "DepthwiseConv2dNative")


def generator_flops(generator) -> int:
    """Forward FLOPs of one example through G (all blocks, guidance encoder included)."""
    return int(sum(analytic_flops(layer) for layer in generator.named_parts().values()))


def discriminator_flops(discriminator) -> int:
    """Forward FLOPs of one example through D."""
    return int(sum(analytic_flops(layer) for layer in discriminator.named_parts().values()))


def train_step_gflops_per_example(g_gflops: float, d_gflops: float, d_steps: int) -> float:
    """Estimated GFLOPs of an adversarial ``train_step`` per example it consumes (module doc)."""
    d_update = g_gflops + 6.0 * d_gflops
    g_update = 3.0 * g_gflops + 3.0 * d_gflops
    return (d_steps * d_update + g_update) / d_steps


def preset_flops(config, include_trn: bool = True) -> dict:
    """GFLOPs per example of every network of ``config`` plus the train-step estimate."""
    from foleygan_tf.models.stats import describe_networks

    report = describe_networks(config, include_trn=include_trn)
    g, d = report["generator"]["gflops"], report["discriminator"]["gflops"]
    g_run, d_run = report["generator"]["executed_gflops"], report["discriminator"]["executed_gflops"]
    out = {"generator_gflops": round(g, 4), "discriminator_gflops": round(d, 4),
           "generator_executed_gflops": round(g_run, 4), "discriminator_executed_gflops": round(d_run, 4),
           "train_step_executed_gflops_per_example_estimate": round(
               train_step_gflops_per_example(g_run, d_run, config.train.d_steps), 3),
           "generator_params": report["generator"]["params"],
           "discriminator_params": report["discriminator"]["params"],
           "train_step_gflops_per_example_estimate": round(
               train_step_gflops_per_example(g, d, config.train.d_steps), 3),
           "d_steps": config.train.d_steps}
    for name in ("mtrn", "pair_trn"):
        if name in report:
            out[f"{name}_gflops"] = round(report[name]["gflops"], 6)
            out[f"{name}_flops_per"] = report[name]["flops_per"]
    return out


def keras_layer_flops(model) -> int:
    """FLOPs (2 × MACs) of the ``Conv2D``/``DepthwiseConv2D``/``Dense`` layers of a built plain
    Keras model for one example, from each layer's output shape and kernel shape."""
    import keras

    total = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)):
            out = layer.output.shape[1:] if hasattr(layer, "output") else None
            if out is None or any(d is None for d in out):
                raise ValueError(f"{layer.name}: output shape unknown; build the model on a fixed input shape")
            kernel = tuple(layer.kernel.shape)
            if isinstance(layer, keras.layers.DepthwiseConv2D):
                total += 2 * math.prod(out) * kernel[0] * kernel[1]
            elif isinstance(layer, keras.layers.Conv2D):
                total += 2 * math.prod(out) * math.prod(kernel[:-1])
            else:  # Dense: output [..., units], kernel [in, units]
                total += 2 * math.prod(out) * kernel[0]
    return int(total)


def profiler_flops(fn, input_signature) -> int:
    """``float_ops`` of the conv/matmul nodes of ``fn``'s traced graph as counted by TensorFlow's
    profiler (``tf.compat.v1.profiler.profile`` with the ``float_operation`` view); the input
    shapes must be fully defined."""
    import tensorflow as tf

    graph = tf.function(fn).get_concrete_function(*input_signature).graph
    opts = (tf.compat.v1.profiler.ProfileOptionBuilder(tf.compat.v1.profiler.ProfileOptionBuilder.float_operation())
            .with_empty_output().account_displayed_op_only(True)
            .with_node_names(show_name_regexes=[".*"]).build())
    opts["account_type_regexes"] = [f"^{op}$" for op in _PROFILED_OPS]
    prof = tf.compat.v1.profiler.profile(graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=opts)
    return int(prof.total_float_ops)
