"""Training memory per micro-batch: a graph-derived estimate of what a GPU needs, not a measurement.

:func:`foleygan_tf.training.memory_estimate.estimate_train_memory` traces one D update and one G
update at micro-batches 1 and 2 (nothing runs on data) and adds up the variables, the gradients and
the tensors the backward pass keeps; the per-example part then gives the estimated peak at every
micro-batch in ``micro_batches`` (plus the config's own ``train.batch_size``) and the largest
micro-batch that fits each GPU size in ``gpu_gb``. The networks are built with zero kernels (only
shapes are traced). The estimate is a lower bound of a real allocator's peak.
"""

from __future__ import annotations

from foleygan_tf.benchmarking.common import task_config

GB = 1e9


def run(preset: str = "paper", *, overrides=(), micro_batches=(1, 16, 128), gpu_gb=(16.0, 32.0, 80.0)) -> dict:
    from foleygan_tf.models.layers import shape_only_weights
    from foleygan_tf.training.fit_gan import build_gan
    from foleygan_tf.training.memory_estimate import estimate_train_memory

    cfg = task_config(preset, overrides)
    batches = sorted({int(b) for b in micro_batches} | {int(cfg.train.batch_size)})
    with shape_only_weights():
        gan = build_gan(cfg)
    est = estimate_train_memory(gan, batches)
    worst = max(("d", "g"), key=lambda k: est["updates"][k]["per_example_bytes"])
    base = est["state_bytes"] + est["gradient_bytes"][worst] + est["updates"][worst]["fixed_bytes"]
    per = est["updates"][worst]["per_example_bytes"]
    return {"preset": cfg.name, "mixed_precision": cfg.train.mixed_precision, "micro_batch": cfg.train.batch_size,
            "accumulation_steps": cfg.train.accumulation_steps, "estimate": est,
            "largest_micro_batch_per_gpu_gb": {f"{g:g}": max(0, int((g * GB - base) // per)) for g in gpu_gb}}
