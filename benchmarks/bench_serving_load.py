"""Serving under load: the exported generator SavedModel in one process, N concurrent client threads.

    .venv/bin/python benchmarks/bench_serving_load.py [--models saved_models/default]
        [--threads 8] [--requests 400] [--batch 1] [--out benchmarks/results/serving_load.json]
        [--no-readme]

Loads ``MODELS/generator`` once with plain ``tf.saved_model.load`` (what a Python serving process
does; no ``foleygan_tf`` model code), prepares ``--requests`` distinct requests (z from the
export's ``sample_z`` signature with seed = request id, a one-hot class, a random S_act and action
curve), warms up, then lets ``--threads`` threads pull requests from a shared queue and call
``serving_default`` (latency = call + ``.numpy()`` of the waveform). Reported: errors, wrong
answers (every 20th request is recomputed sequentially afterwards and must be bitwise equal),
latency p50/p90/p99/max, throughput, a sequential single-thread baseline, and the process RSS
before the load, sampled during it and after it. Writes the JSON and replaces the section
"## Serving under load" at the end of benchmarks/README.md (only that section).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import sys
import threading
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SECTION = "## Serving under load"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine() -> str:
    cpu = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def make_requests(gen, meta: dict, n: int, batch: int, seed: int = 0) -> list[dict]:
    """``n`` distinct requests (numpy inputs of ``serving_default``)."""
    import tensorflow as tf

    r, c = int(meta["image_size"]), len(meta["class_names"])
    rng = np.random.default_rng(seed)
    sample_z = gen.signatures["sample_z"]
    out = []
    for i in range(n):
        z = sample_z(seed=tf.constant(i, tf.int64), num=tf.constant(batch, tf.int32),
                     truncation=tf.constant(float(meta.get("default_truncation", 1.0)), tf.float32))["z"].numpy()
        cls = (i + np.arange(batch)) % c
        out.append({"z": z, "class_probs": np.eye(c, dtype=np.float32)[cls],
                    "action_spectrogram": rng.uniform(-1, 1, (batch, r, r, 3)).astype(np.float32),
                    "action_curve": rng.uniform(0, 1, (batch, r)).astype(np.float32)})
    return out


def run_load(generator_dir: str, threads: int = 8, requests: int = 400, batch: int = 1,
             check_every: int = 20, baseline: int = 40, rss_every: float = 0.5) -> dict:
    """The whole measurement in this process; returns the result dict (see the module docstring)."""
    import tensorflow as tf

    t0 = time.perf_counter()
    rss_start = rss_mb()
    gen = tf.saved_model.load(generator_dir)
    serve = gen.signatures["serving_default"]
    meta = json.load(open(gen.metadata_file.asset_path.numpy().decode()))
    load_s = time.perf_counter() - t0
    reqs = make_requests(gen, meta, requests, batch)

    def call(inputs):
        return serve(**{k: tf.constant(v) for k, v in inputs.items()})["waveform"].numpy()

    for i in range(3):                                   # warm-up (tracing, allocator)
        call(reqs[i % len(reqs)])
    seq = []
    for i in range(min(baseline, requests)):
        s = time.perf_counter()
        call(reqs[i])
        seq.append(time.perf_counter() - s)
    rss_before = rss_mb()

    todo: queue.Queue = queue.Queue()
    for i in range(requests):
        todo.put(i)
    latencies = np.full(requests, np.nan)
    answers: dict[int, np.ndarray] = {}
    errors: list[str] = []
    lock = threading.Lock()
    rss_samples = []
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            rss_samples.append(round(rss_mb(), 1))
            stop.wait(rss_every)

    def client():
        while True:
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            s = time.perf_counter()
            try:
                wave = call(reqs[i])
                latencies[i] = time.perf_counter() - s
                if not np.all(np.isfinite(wave)) or wave.shape != (batch, int(meta["clip_samples"])):
                    raise ValueError(f"bad answer: shape {wave.shape}, finite {np.all(np.isfinite(wave))}")
                if i % check_every == 0:
                    with lock:
                        answers[i] = wave
            except Exception as err:  # noqa: BLE001 - counted and reported, the run goes on
                with lock:
                    errors.append(f"request {i}: {type(err).__name__}: {str(err).splitlines()[0][:200]}")

    watcher = threading.Thread(target=sampler, daemon=True)
    watcher.start()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    t1 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - t1
    stop.set()
    watcher.join()
    rss_after = rss_mb()
    mismatches = sum(int(not np.array_equal(call(reqs[i]), wave)) for i, wave in answers.items())
    done = latencies[np.isfinite(latencies)]
    ms = lambda q: round(float(np.percentile(done, q)) * 1000, 2) if len(done) else None  # noqa: E731
    return {
        "model": os.path.abspath(generator_dir), "preset": meta.get("config", {}).get("name"),
        "image_size": meta["image_size"], "sample_rate": meta["sample_rate"],
        "clip_samples": meta["clip_samples"], "threads": threads, "requests": requests, "batch": batch,
        "completed": int(len(done)), "errors": len(errors), "error_messages": errors[:10],
        "checked_answers": len(answers), "mismatches": mismatches,
        "latency_ms": {"p50": ms(50), "p90": ms(90), "p99": ms(99), "max": ms(100),
                       "mean": round(float(done.mean()) * 1000, 2) if len(done) else None},
        "sequential_latency_ms": {"p50": round(float(np.median(seq)) * 1000, 2) if seq else None,
                                  "requests": len(seq)},
        "throughput_rps": round(len(done) / wall, 2), "wall_seconds": round(wall, 2),
        "load_seconds": round(load_s, 2),
        "rss_mb": {"process_start": round(rss_start, 1), "before_load": round(rss_before, 1),
                   "after_load": round(rss_after, 1), "growth": round(rss_after - rss_before, 1),
                   "during_min": min(rss_samples) if rss_samples else None,
                   "during_max": max(rss_samples) if rss_samples else None,
                   "peak_process": round(peak_rss_mb(), 1)},
        "tensorflow": tf.__version__, "machine": machine(), "load_average": list(os.getloadavg()),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def readme_section(r: dict) -> str:
    lat, rss = r["latency_ms"], r["rss_mb"]
    return f"""{SECTION}

`benchmarks/bench_serving_load.py` loads the exported default generator
(`saved_models/default/generator`, {r['preset']} preset: {r['image_size']}² spectrogram, {r['clip_samples']} samples at
{r['sample_rate']} Hz per request) **once** in one process with plain `tf.saved_model.load`, then
{r['threads']} client threads share a queue of {r['requests']} distinct requests (batch {r['batch']}: z from
`sample_z`, a one-hot class, a random S_act and action curve) and call `serving_default`
concurrently. Every 20th answer is recomputed sequentially afterwards and compared bitwise.
Results in `benchmarks/results/serving_load.json`.

| quantity | result |
|---|---|
| requests completed / errors / wrong answers | {r['completed']} / {r['errors']} / {r['mismatches']} (of {r['checked_answers']} checked) |
| latency p50 / p90 / p99 / max ({r['threads']} threads) | {lat['p50']} / {lat['p90']} / {lat['p99']} / {lat['max']} ms |
| sequential latency p50 (1 thread, {r['sequential_latency_ms']['requests']} requests) | {r['sequential_latency_ms']['p50']} ms |
| throughput | {r['throughput_rps']} requests/s ({r['wall_seconds']} s wall) |
| RSS before → after the load | {rss['before_load']} → {rss['after_load']} MB (growth {rss['growth']} MB; sampled during: {rss['during_min']}–{rss['during_max']} MB) |
| SavedModel load | {r['load_seconds']} s |

The {r['threads']} threads reach {r['throughput_rps'] * r['sequential_latency_ms']['p50'] / 1000:.2f}× the
throughput of one thread calling in a loop (1 / sequential p50): on 2 CPU cores concurrency mostly
overlaps the per-call Python/dispatch overhead, and each request waits behind the others (latency
≈ threads × the sequential latency / that speed-up). Memory: RSS grew by {rss['growth']} MB over
{r['requests']} requests (no per-request leak at this scale). Machine: {r['machine']}, shared with
other jobs (load average {', '.join(f'{x:.1f}' for x in r['load_average'])} at the end),
TensorFlow {r['tensorflow']} (CPU), {r['date']}.
A short version (8 threads × 3 requests) runs in the default tests
(`tests/robustness/test_serving_load.py`). Re-run: `.venv/bin/python benchmarks/bench_serving_load.py`.
"""


def write_readme_section(path: str, text: str) -> None:
    """Replace this benchmark's section of ``path`` (from its heading to the next ``## `` heading
    or the end), or append it at the end; the rest of the file is untouched."""
    old = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    start = old.find(SECTION + "\n")
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text + ("" if nxt < 0 else "\n" + old[nxt + 1:])
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=os.path.join(REPO, "saved_models", "default"),
                   help="a `foleygan export` directory (its generator/ is served)")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--out", default=os.path.join(REPO, "benchmarks", "results", "serving_load.json"))
    p.add_argument("--no-readme", action="store_true", help="do not update benchmarks/README.md")
    args = p.parse_args(argv)
    result = run_load(os.path.join(args.models, "generator"), args.threads, args.requests, args.batch)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = f"{args.out}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    os.replace(tmp, args.out)
    print(json.dumps(result, indent=2))
    if not args.no_readme:
        write_readme_section(os.path.join(REPO, "benchmarks", "README.md"), readme_section(result))
    return 1 if result["errors"] or result["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
