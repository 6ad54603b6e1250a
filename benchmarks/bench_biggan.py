"""BigGAN benchmark: parameters, analytic forward GFLOPs and generator latency per preset.

    .venv/bin/python benchmarks/bench_biggan.py [--presets tiny,small,paper] [--repeats 3]
                                                [--policies float32,mixed_bfloat16] [--out FILE.json]

Prints one JSON document: for every preset, G and D parameter counts (PyTorch convention:
trainable only) and forward GFLOPs (batch 1, analytic — ``foleygan_tf.models.stats``) with the
preset's own config (12 classes, guidance on) and with vanilla BigGAN (guidance none), and the
wall-clock latency of one batch-1 inference forward pass of G (a ``tf.function``, after one warm-up
call; median of ``--repeats``) under each dtype policy. Results are recorded in
benchmarks/README.md ("BigGAN").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _counts(cfg):
    from foleygan_tf.models.stats import describe_networks

    report = describe_networks(cfg, include_trn=False)
    return {net: {"params": e["params"], "gflops": round(e["gflops"], 4)} for net, e in report.items()}


def _latency(cfg, policy, repeats):
    import keras
    import numpy as np
    import tensorflow as tf

    from foleygan_tf.models import Generator, sample_z

    keras.mixed_precision.set_global_policy(policy)
    try:
        t0 = time.perf_counter()
        G = Generator(cfg)
        build_s = time.perf_counter() - t0
        r = cfg.audio.image_size
        rng = np.random.default_rng(0)
        inputs = {
            "z": tf.constant(sample_z(1, cfg.gan.z_dim, cfg.gan.truncation, seed=0)),
            "class": tf.constant([0]),
            "action_spectrogram": tf.constant(rng.uniform(-1, 1, (1, r, r, 3)).astype("float32")),
            "action_curve": tf.constant(rng.uniform(0, 1, (1, r)).astype("float32")),
        }
        forward = tf.function(lambda x: G(x, training=False))
        t0 = time.perf_counter()
        out = forward(inputs).numpy()
        first_s = time.perf_counter() - t0
        if not np.isfinite(out).all():
            raise RuntimeError(f"non-finite generator output at {cfg.name}/{policy}")
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            forward(inputs).numpy()
            times.append(time.perf_counter() - t0)
        return {"build_s": round(build_s, 2), "first_call_s": round(first_s, 2),
                "median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times]}
    finally:
        keras.mixed_precision.set_global_policy("float32")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="tiny,small,paper")
    parser.add_argument("--policies", default="float32,mixed_bfloat16")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)

    import tensorflow as tf

    from foleygan_tf.config import apply_overrides, get_preset

    result = {"environment": {"tensorflow": tf.__version__, "cpus": os.cpu_count(),
                              "machine": platform.machine(), "python": platform.python_version()},
              "presets": {}}
    for name in args.presets.split(","):
        cfg = get_preset(name)
        entry = {
            "image_size": cfg.audio.image_size, "ch": cfg.gan.ch, "z_dim": cfg.gan.z_dim,
            "num_classes": cfg.num_classes, "guidance": cfg.gan.guidance,
            "counts": _counts(cfg),
            "counts_vanilla": _counts(apply_overrides(get_preset(name), ["gan.guidance=none"])),
            "generator_latency_batch1": {},
        }
        for policy in args.policies.split(","):
            entry["generator_latency_batch1"][policy] = _latency(cfg, policy, args.repeats)
            print(f"{name} {policy}: {entry['generator_latency_batch1'][policy]}", file=sys.stderr)
        result["presets"][name] = entry
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        tmp = f"{args.out}.tmp-{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
