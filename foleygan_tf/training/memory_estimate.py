"""Training-memory estimate from the traced graph: what a GPU would need at a given micro-batch.

We cannot measure GPU memory here (no GPU), and a CPU's peak RSS at the paper preset is dominated by
the allocator's working set. What we *can* measure exactly is the graph: trace one D update and one
G update (the very losses of ``FoleyGAN.train_step``: ``FoleyGAN.discriminator_objective`` and
``FoleyGAN.generator_objective``) with ``tf.GradientTape`` inside a ``tf.function`` and add up
every forward tensor that the backward pass consumes — the activations that must stay alive
between forward and backward. Doing it at micro-batch 1 and 2 separates the per-example part
(activations) from the fixed part (e.g. bf16 copies of the weights).

Estimate of the peak at micro-batch ``B`` (bytes)::

    state                    all variables of the FoleyGAN: G, D, EMA-G, the Adams' m and v,
                             counters                                           (measured exactly)
  + gradients                one fp32 gradient per trainable weight of the updated network, twice
                             with accumulation (the loop-carried sum + the micro-batch's gradient)
  + fixed                    the batch-independent saved tensors of that update
  + B · per_example          the saved activations per example of the larger update

It is a lower bound of a real allocator's peak: it ignores the transient workspace of individual
kernels (cuDNN), fragmentation and the forward tensors freed before the backward pass starts; XLA
may rematerialise and lower it. ``foleygan bench --only memory`` reports it (benchmarks/README.md).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


GRADIENT_SCOPE = "gradient_tape/"
# Outputs that are a kernel's private workspace, not activations: the fused batch norm's
# reserve_space_3 (empty on the CPU, a few bytes per channel in cuDNN), of no static shape.
WORKSPACE_OUTPUTS = {"FusedBatchNormV3": (5,)}


def _bytes(tensor) -> int | None:
    shape = tensor.shape
    if shape.rank is None or not shape.is_fully_defined():
        return None
    return int(np.prod(shape.as_list(), dtype=np.int64)) * tensor.dtype.size


def saved_for_backward_bytes(graph) -> dict:
    """Bytes of forward tensors of ``graph`` consumed by its ``tf.GradientTape`` gradient ops.

    Returns ``{"bytes", "tensors", "unknown_shape"}``; a tensor whose static shape is not fully
    known is counted in ``unknown_shape`` (its bytes are not added).
    """
    total, count, unknown = 0, 0, 0
    for op in graph.get_operations():
        if op.name.startswith(GRADIENT_SCOPE):
            continue
        for t in op.outputs:
            if t.value_index in WORKSPACE_OUTPUTS.get(op.type, ()):
                continue
            if any(c.name.startswith(GRADIENT_SCOPE) for c in t.consumers()):
                size = _bytes(t)
                count += 1
                if size is None:
                    unknown += 1
                else:
                    total += size
    return {"bytes": total, "tensors": count, "unknown_shape": unknown}


def _batch_spec(gan, batch: int) -> dict:
    r = gan.config.audio.image_size
    return {"image": tf.TensorSpec([batch, r, r, 3], tf.float32),
            "class": tf.TensorSpec([batch], tf.int32),
            "action_spectrogram": tf.TensorSpec([batch, r, r, 3], tf.float32),
            "action_curve": tf.TensorSpec([batch, r], tf.float32),
            "wave": tf.TensorSpec([batch, gan.config.audio.clip_samples], tf.float32)}


def update_graphs(gan, batch: int) -> dict:
    """Traced graphs of one D update's and one G update's gradient at micro-batch ``batch``."""
    d_vars = gan.discriminator.trainable_variables
    g_vars = gan.generator.trainable_variables
    # a fixed-shape z (FoleyGAN._z draws from a stateful generator with a dynamic shape)
    z = tf.random.stateless_normal([batch, gan.z_dim], seed=[0, 1])

    @tf.function(autograph=False)
    def d_update(data):
        fake = gan.generator(gan._g_inputs(data, z), training=True)
        with tf.GradientTape() as tape:
            loss = gan.discriminator_objective(fake, data)[0]
        return tape.gradient(loss, d_vars)

    @tf.function(autograph=False)
    def g_update(data):
        with tf.GradientTape() as tape:
            fake = gan.generator(gan._g_inputs(data, z), training=True)
            loss = gan.generator_objective(fake, data)[0]
        return tape.gradient(loss, g_vars)

    spec = _batch_spec(gan, batch)
    return {"d": d_update.get_concrete_function(spec).graph, "g": g_update.get_concrete_function(spec).graph}


def _variable_bytes(variables) -> int:
    seen, total = set(), 0
    for v in variables:
        key = id(v)
        if key in seen:
            continue
        seen.add(key)
        total += int(np.prod(tuple(v.shape), dtype=np.int64)) * tf.as_dtype(v.dtype).size
    return total


def estimate_train_memory(gan, micro_batches=(128,)) -> dict:
    """Per-update saved activations (per example and fixed) and the peak estimate for each
    micro-batch in ``micro_batches`` (see the module docstring). ``gan``: a built FoleyGAN."""
    saved = {b: {k: saved_for_backward_bytes(g) for k, g in update_graphs(gan, b).items()} for b in (1, 2)}
    updates = {}
    for k in ("d", "g"):
        per_example = saved[2][k]["bytes"] - saved[1][k]["bytes"]
        updates[k] = {"per_example_bytes": per_example, "fixed_bytes": saved[1][k]["bytes"] - per_example,
                      "saved_tensors": saved[1][k]["tensors"],
                      "unknown_shape_tensors": saved[1][k]["unknown_shape"] + saved[2][k]["unknown_shape"]}
    for optimizer, network in ((gan.d_optimizer, gan.discriminator), (gan.g_optimizer, gan.generator)):
        if not optimizer.built:  # Adam creates m and v at its first update; count them now
            optimizer.build(network.trainable_variables)
    optimizer_vars = list(gan.d_optimizer.variables) + list(gan.g_optimizer.variables)
    pretrain = gan.d_pretrain_optimizer
    if gan.config.train.d_pretrain_updates > 0:  # its m and v stay allocated after pre-training
        if not pretrain.built:
            pretrain.build(gan.discriminator.trainable_variables)
        optimizer_vars += list(pretrain.variables)
    state = _variable_bytes(list(gan.variables) + list(gan.ema.average.variables) + optimizer_vars)
    copies = 2 if gan.accumulation_steps > 1 else 1
    grads = {"d": copies * _variable_bytes(gan.discriminator.trainable_variables),
             "g": copies * _variable_bytes(gan.generator.trainable_variables)}
    result = {"state_bytes": state, "gradient_bytes": grads, "updates": updates, "peak_bytes": {}}
    for b in micro_batches:
        result["peak_bytes"][int(b)] = max(
            state + grads[k] + updates[k]["fixed_bytes"] + int(b) * updates[k]["per_example_bytes"]
            for k in ("d", "g"))
    return result
