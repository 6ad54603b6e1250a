"""Training speed: examples/s of ``FoleyGAN.train_step`` on random in-memory batches.

One ``train_step`` = ``d_steps`` D updates + 1 G update, each over ``accumulation_steps``
micro-batches of ``batch_size``; it consumes ``batch_size × accumulation_steps × d_steps``
examples (``fit_gan.global_batch_size``), so examples/s is directly comparable with the input
pipeline's rate and with the paper's budget. The network build and the first step (tracing, graph
optimisation, plus XLA compilation with ``jit_compile``) are reported separately (``startup_s``:
their sum, what a training run or a test waits for before its first update); the rate is from the
best later step, whose CPU seconds (all threads, ``cpu_s``) are recorded too. The networks are
built as training builds them (orthogonal initialisation), except at the paper preset, whose
orthogonal initialisation alone takes ≈ 40 s: random weights there (the step's cost does not depend
on the values; ``weights`` says which).

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
RANDOM_WEIGHTS = ("paper",)   # presets built with random instead of orthogonal weights
XLA_TIMED_STEPS = 1   # an XLA:CPU train step is slow (its convolution gradients): one timed step


def train_config(preset: str, policy: str = "float32", jit: bool = False, overrides=()):
    """The config of one variant (module docstring) and the overrides applied to the preset."""
    applied = [*PRESET_OVERRIDES.get(preset, []), *overrides,
               f"train.mixed_precision={policy}", f"train.jit_compile={str(bool(jit)).lower()}"]
    return task_config(preset, applied), applied


def run(preset: str = "tiny", *, policy: str = "float32", jit: bool = False, steps: int | None = None,
        overrides=()) -> dict:
    import resource

    import numpy as np
    import tensorflow as tf

    from foleygan_tf.models.flops import discriminator_flops, generator_flops, train_step_gflops_per_example
    from foleygan_tf.models.layers import shape_only_weights
    from foleygan_tf.models.stats import count_parameters
    from foleygan_tf.training.fit_gan import build_gan, global_batch_size

    cfg, applied = train_config(preset, policy, jit, overrides)
    t0 = time.perf_counter()
    if preset in RANDOM_WEIGHTS:
        with shape_only_weights():
            gan = build_gan(cfg)
        randomize_weights(gan)
    else:
        gan = build_gan(cfg)
    build_s = time.perf_counter() - t0
    n, r = global_batch_size(cfg), cfg.audio.image_size
    rng = np.random.default_rng(0)
    batch = {"image": tf.constant(rng.uniform(-1, 1, (n, r, r, 3)), tf.float32),
             "class": tf.constant(rng.integers(0, cfg.num_classes, n), tf.int32),
             "action_spectrogram": tf.constant(rng.uniform(-1, 1, (n, r, r, 3)), tf.float32),
             "action_curve": tf.constant(rng.uniform(0, 1, (n, r)), tf.float32)}
    step = tf.function(gan.train_step, jit_compile=bool(jit))

    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    times, cpus = [], []
    for _ in range(1 + (steps or (XLA_TIMED_STEPS if jit else TIMED_STEPS.get(preset, 2)))):
        c, t = cpu(), time.perf_counter()
        logs = step(batch)
        float(logs["d_loss"])
        times.append(time.perf_counter() - t)
        cpus.append(cpu() - c)
    best = min(times[1:])
    best_cpu = min(cpus[1:])
    g_gf, d_gf = generator_flops(gan.generator) / 1e9, discriminator_flops(gan.discriminator) / 1e9
    step_gf = train_step_gflops_per_example(g_gf, d_gf, cfg.train.d_steps) * n
    return {
        "preset": cfg.name, "policy": policy, "xla": bool(jit), "overrides": applied,
        "micro_batch": cfg.train.batch_size, "accumulation_steps": cfg.train.accumulation_steps,
        "d_steps": cfg.train.d_steps, "examples_per_step": n,
        "generator_params": count_parameters(gan.generator),
        "discriminator_params": count_parameters(gan.discriminator),
        "spectral_norm_per_update": bool(cfg.train.spectral_norm_per_update),
        "weights": "random" if preset in RANDOM_WEIGHTS else "orthogonal",
        "build_s": round(build_s, 2), "first_step_s": round(times[0], 2), "first_step_cpu_s": round(cpus[0], 2),
        "startup_s": round(build_s + times[0], 2),
        "step_s": round(best, 4), "steps_s": [round(t, 4) for t in times[1:]],
        "cpu_s": round(best_cpu, 4), "steps_cpu_s": [round(c, 4) for c in cpus[1:]],
        "examples_s": round(n / best, 3),
        "train_step_gflops_estimate": round(step_gf, 2),
        "achieved_gflops_s_estimate": round(step_gf / best, 1),
        "gflop_per_cpu_s_estimate": round(step_gf / best_cpu, 1),
        "losses_finite": bool(all(np.isfinite(float(v)) for v in logs.values())),
    }
