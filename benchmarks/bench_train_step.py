"""Time and peak memory of FoleyGAN ``train_step``s on this machine.

    .venv/bin/python benchmarks/bench_train_step.py --preset paper \\
        --set train.batch_size=1 --set train.accumulation_steps=2 --steps 2 [--json OUT]

One ``train_step`` = ``d_steps`` D updates + 1 G update, each over ``accumulation_steps``
micro-batches. The first step includes tracing (and XLA compilation with jit); the reported
``step_seconds`` is the median of the later steps. Peak memory is the process's max RSS.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="tiny")
    p.add_argument("--set", dest="overrides", action="append", default=[])
    p.add_argument("--steps", type=int, default=3, help="train steps to run (≥ 2: the first traces)")
    p.add_argument("--json", help="also append the result to this JSON-lines file")
    args = p.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    from foleygan_tf.config import apply_overrides, get_preset
    from foleygan_tf.training.fit_gan import build_gan, global_batch_size

    cfg = apply_overrides(get_preset(args.preset), args.overrides)
    t0 = time.perf_counter()
    gan = build_gan(cfg)
    build_s = time.perf_counter() - t0
    n, r = global_batch_size(cfg), cfg.audio.image_size
    rng = np.random.default_rng(0)
    batch = {"image": tf.constant(rng.uniform(-1, 1, (n, r, r, 3)), tf.float32),
             "class": tf.constant(rng.integers(0, cfg.num_classes, n), tf.int32),
             "action_spectrogram": tf.constant(rng.uniform(-1, 1, (n, r, r, 3)), tf.float32),
             "action_curve": tf.constant(rng.uniform(0, 1, (n, r)), tf.float32)}
    step = tf.function(gan.train_step, jit_compile=cfg.train.jit_compile)
    times = []
    for _ in range(max(2, args.steps)):
        t = time.perf_counter()
        logs = step(batch)
        float(logs["d_loss"])
        times.append(time.perf_counter() - t)
    result = {
        "preset": cfg.name, "overrides": args.overrides, "micro_batch": cfg.train.batch_size,
        "accumulation_steps": cfg.train.accumulation_steps, "d_steps": cfg.train.d_steps,
        "mixed_precision": cfg.train.mixed_precision, "jit_compile": cfg.train.jit_compile,
        "generator_params": int(sum(np.prod(v.shape) for v in gan.generator.trainable_variables)),
        "discriminator_params": int(sum(np.prod(v.shape) for v in gan.discriminator.trainable_variables)),
        "build_seconds": round(build_s, 2), "first_step_seconds": round(times[0], 2),
        "step_seconds": round(statistics.median(times[1:]), 2),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20, 2),
        "losses_finite": bool(all(np.isfinite(float(v)) for v in logs.values())),
        "machine": f"{os.cpu_count()} CPU cores, no GPU",
    }
    print(json.dumps(result))
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
