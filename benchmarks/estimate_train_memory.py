"""Graph-derived training-memory estimate of a preset (what a GPU would need per micro-batch).

    .venv/bin/python benchmarks/estimate_train_memory.py --preset paper --micro-batch 1 16 128 \\
        [--gpu-gb 16 32 80] [--json OUT]

Traces one D update and one G update at micro-batches 1 and 2 (nothing runs) and adds up the
tensors the backward pass keeps (foleygan_tf/training/memory_estimate.py). Prints the per-example
and fixed parts, the estimated peak for each ``--micro-batch`` and the largest micro-batch that
fits each ``--gpu-gb``. An estimate (a lower bound of a real allocator's peak), not a measurement.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="paper")
    p.add_argument("--set", dest="overrides", action="append", default=[])
    p.add_argument("--micro-batch", type=int, nargs="+", default=[1, 16, 128])
    p.add_argument("--gpu-gb", type=float, nargs="+", default=[16.0, 32.0, 80.0])
    p.add_argument("--json", help="also write the result to this JSON file")
    args = p.parse_args(argv)

    from foleygan_tf.config import apply_overrides, get_preset
    from foleygan_tf.training.fit_gan import build_gan
    from foleygan_tf.training.memory_estimate import estimate_train_memory

    cfg = apply_overrides(get_preset(args.preset), args.overrides)
    t0 = time.perf_counter()
    est = estimate_train_memory(build_gan(cfg), args.micro_batch)
    gb = 1e9
    worst = max(("d", "g"), key=lambda k: est["updates"][k]["per_example_bytes"])
    base = est["state_bytes"] + est["gradient_bytes"][worst] + est["updates"][worst]["fixed_bytes"]
    per = est["updates"][worst]["per_example_bytes"]
    fits = {f"{g:g}": max(0, int((g * gb - base) // per)) for g in args.gpu_gb}
    result = {"preset": cfg.name, "overrides": args.overrides, "mixed_precision": cfg.train.mixed_precision,
              "estimate": est, "largest_micro_batch_per_gpu_gb": fits,
              "seconds": round(time.perf_counter() - t0, 1)}
    print(f"preset {cfg.name} ({cfg.train.mixed_precision or 'float32'}): state {est['state_bytes'] / gb:.2f} GB, "
          f"per example D update {est['updates']['d']['per_example_bytes'] / gb:.3f} GB, "
          f"G update {est['updates']['g']['per_example_bytes'] / gb:.3f} GB")
    for b, peak in est["peak_bytes"].items():
        print(f"  micro-batch {b:>4}: estimated peak {peak / gb:8.1f} GB")
    print("  largest micro-batch that fits: " + ", ".join(f"{k} GB → {v}" for k, v in fits.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
