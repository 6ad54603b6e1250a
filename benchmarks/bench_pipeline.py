"""Data pipeline throughput: synth-data (clips/s), prepare (clips/s), GAN batches (examples/s).

    .venv/bin/python benchmarks/bench_pipeline.py [--preset small] [--clips-per-class 4]
        [--batches 30] [--workers 2] [--work DIR] [--json OUT.json]

Generates a synthetic dataset (128 px, 24 fps, 3 s clips), prepares it at the preset, then times
`gan_dataset(..., training=True)` (shuffle, parallel JPEG decoding, SpectrogramCodec.encode in
tf.data, drop_remainder batches of `train.batch_size`) after a warm-up, and `trn_dataset`.
Results are recorded in benchmarks/README.md, section "Data pipeline".
"""

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def machine() -> str:
    cpu = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def time_batches(ds, batches: int, warmup: int = 3) -> tuple[float, int]:
    it = iter(ds)
    for _ in range(warmup):
        next(it)
    n = 0
    t0 = time.perf_counter()
    for _ in range(batches):
        b = next(it)
        first = b["spectrogram"] if isinstance(b, dict) else b[0]
        n += int(first.shape[0])
    return n / (time.perf_counter() - t0), n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="small")
    ap.add_argument("--clips-per-class", type=int, default=4)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", default=None, help="work folder (default: a temporary one, removed)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from foleygan_tf.config import get_preset
    from foleygan_tf.data.prepare import prepare_dataset
    from foleygan_tf.data.synth import synthesize_dataset

    cfg = get_preset(args.preset)
    work = args.work or tempfile.mkdtemp(prefix="bench_pipeline_")
    src, shards = os.path.join(work, "src"), os.path.join(work, "shards")
    try:
        t0 = time.perf_counter()
        sc = synthesize_dataset(src, args.clips_per_class, seconds=3.0, fps=24, size=args.size, seed=0,
                                workers=args.workers, progress=False)
        synth_s = time.perf_counter() - t0
        shutil.rmtree(shards, ignore_errors=True)
        t0 = time.perf_counter()
        m = prepare_dataset(src, shards, cfg, shard_size=8, workers=args.workers, progress=False)
        prep_s = time.perf_counter() - t0

        import tensorflow as tf

        from foleygan_tf.data import gan_dataset, trn_dataset

        gan = gan_dataset(shards, "train", cfg, training=True)
        gan_eps, gan_n = time_batches(gan, args.batches)
        gan_nf = gan_dataset(shards, "train", cfg, training=True, include_frames=False)
        gan_nf_eps, _ = time_batches(gan_nf, args.batches)
        trn = trn_dataset(shards, "train", cfg, training=True)
        trn_eps, _ = time_batches(trn, max(3, args.batches // 3))
        result = {
            "machine": machine(), "tensorflow": tf.__version__, "preset": args.preset,
            "synth_data": {"clips": len(sc), "size": args.size, "fps": 24, "seconds": round(synth_s, 2),
                           "clips_per_s": round(len(sc) / synth_s, 2), "workers": args.workers},
            "prepare": {"clips": len(sc), "windows": m["splits"]["train"]["examples"] + m["splits"]["test"]["examples"],
                        "seconds": round(prep_s, 2), "clips_per_s": round(len(sc) / prep_s, 2),
                        "workers": args.workers},
            "gan_batches": {"batch_size": cfg.train.batch_size, "image": cfg.audio.image_size,
                            "frames": [cfg.video.frames_per_clip, cfg.video.frame_size],
                            "examples_per_s": round(gan_eps, 1), "examples_timed": gan_n,
                            "examples_per_s_without_frames": round(gan_nf_eps, 1)},
            "trn_batches": {"batch_size": cfg.trn.batch_size, "examples_per_s": round(trn_eps, 1)},
        }
        print(json.dumps(result, indent=2))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
