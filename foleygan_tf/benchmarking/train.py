"""Training speed: examples/s of ``FoleyGAN.train_step`` on random in-memory batches.

One ``train_step`` = ``d_steps`` D updates + 1 G update, each over ``accumulation_steps``
micro-batches of ``batch_size``; it consumes ``batch_size × accumulation_steps × d_steps``
examples (``fit_gan.global_batch_size``), so examples/s is directly comparable with the input
pipeline's rate and with the paper's budget. The first step (tracing, plus XLA compilation with
``jit_compile``) is reported separately; the rate is from the best later step. The networks are
built with random (not orthogonal) weights — the cost does not depend on the values.

The config (:func:`train_config`): the preset, then :data:`PRESET_OVERRIDES`, then the run's
``--set`` overrides, then the variant's dtype policy and XLA switch.
"""

from __future__ import annotations

import time

from foleygan_tf.benchmarking.common import randomize_weights, task_config

# The paper preset's micro-batch of 128 does not fit a CPU's time budget: micro-batch 1,
# accumulation 1 (the step's structure — 2 D updates + 1 G update — is the paper's).
PRESET_OVERRIDES = {"paper": ["train.batch_size=1", "train.accumulation_steps=1"]}
TIMED_STEPS = {"tiny": 5, "small": 2, "paper": 1}


def train_config(preset: str, policy: str = "float32", jit: bool = False, overrides=()):
    """The config of one variant (module docstring) and the overrides applied to the preset."""
    applied = [*PRESET_OVERRIDES.get(preset, []), *overrides,
               f"train.mixed_precision={policy}", f"train.jit_compile={str(bool(jit)).lower()}"]
    return task_config(preset, applied), applied


def run(preset: str = "tiny", *, policy: str = "float32", jit: bool = False, steps: int | None = None,
        overrides=()) -> dict:
    import numpy as np
    import tensorflow as tf

    from foleygan_tf.models.flops import discriminator_flops, generator_flops, train_step_gflops_per_example
    from foleygan_tf.models.layers import shape_only_weights
    from foleygan_tf.models.stats import count_parameters
    from foleygan_tf.training.fit_gan import build_gan, global_batch_size

    cfg, applied = train_config(preset, policy, jit, overrides)
    t0 = time.perf_counter()
    with shape_only_weights():
        gan = build_gan(cfg)
    randomize_weights(gan)
    build_s = time.perf_counter() - t0
    n, r = global_batch_size(cfg), cfg.audio.image_size
    rng = np.random.default_rng(0)
    batch = {"image": tf.constant(rng.uniform(-1, 1, (n, r, r, 3)), tf.float32),
             "class": tf.constant(rng.integers(0, cfg.num_classes, n), tf.int32),
             "action_spectrogram": tf.constant(rng.uniform(-1, 1, (n, r, r, 3)), tf.float32),
             "action_curve": tf.constant(rng.uniform(0, 1, (n, r)), tf.float32)}
    step = tf.function(gan.train_step, jit_compile=bool(jit))
    times = []
    for _ in range(1 + (steps or TIMED_STEPS.get(preset, 2))):
        t = time.perf_counter()
        logs = step(batch)
        float(logs["d_loss"])
        times.append(time.perf_counter() - t)
    best = min(times[1:])
    g_gf, d_gf = generator_flops(gan.generator) / 1e9, discriminator_flops(gan.discriminator) / 1e9
    step_gf = train_step_gflops_per_example(g_gf, d_gf, cfg.train.d_steps) * n
    return {
        "preset": cfg.name, "policy": policy, "xla": bool(jit), "overrides": applied,
        "micro_batch": cfg.train.batch_size, "accumulation_steps": cfg.train.accumulation_steps,
        "d_steps": cfg.train.d_steps, "examples_per_step": n,
        "generator_params": count_parameters(gan.generator),
        "discriminator_params": count_parameters(gan.discriminator),
        "build_s": round(build_s, 2), "first_step_s": round(times[0], 2),
        "step_s": round(best, 4), "steps_s": [round(t, 4) for t in times[1:]],
        "examples_s": round(n / best, 3),
        "train_step_gflops_estimate": round(step_gf, 2),
        "achieved_gflops_s_estimate": round(step_gf / best, 1),
        "losses_finite": bool(all(np.isfinite(float(v)) for v in logs.values())),
    }
