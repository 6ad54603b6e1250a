"""Shared helpers of the benchmarks: the task config, machine description, timing, memory,
random-weight models."""

from __future__ import annotations

import os
import platform
import resource
import time

_FLAGS_OF_INTEREST = ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                      "avx512_fp16", "amx_bf16", "amx_tile", "amx_int8")


def task_config(preset: str, overrides=()):
    """The config a task measures: preset ``preset`` with the run's ``--set`` ``overrides`` applied
    (as ``foleygan_tf.cli.config_from_args`` does for every command)."""
    from foleygan_tf.config import apply_overrides, get_preset

    return apply_overrides(get_preset(preset), list(overrides))


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


def describe_machine() -> dict:
    """CPU model, the SIMD/matrix flags that matter for TF, cores, memory, OS, Python, TF versions."""
    cpu, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and cpu in ("", platform.machine(), platform.processor()):
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    except OSError:  # pragma: no cover
        pass
    mem_gb = None
    try:
        with open("/proc/meminfo") as f:
            mem_gb = round(int(next(l for l in f if l.startswith("MemTotal")).split()[1]) / 2 ** 20, 1)
    except (OSError, StopIteration):  # pragma: no cover
        pass
    info = {
        "cpu": cpu,
        "cpu_flags": [f for f in _FLAGS_OF_INTEREST if f in flags],
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gpu": "none",
    }
    # versions without importing TensorFlow (the parent of the benchmark subprocesses stays light)
    from importlib import metadata

    for dist in ("tensorflow", "tensorflow-cpu", "keras", "librosa"):
        try:
            info.setdefault(dist.replace("-cpu", ""), metadata.version(dist))
        except metadata.PackageNotFoundError:
            pass
    info["onednn"] = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"
    if os.path.exists("/dev/nvidia0"):  # pragma: no cover
        info["gpu"] = "NVIDIA device present (this TensorFlow build is CPU-only)"
    return info


def machine_slug(info: dict | None = None) -> str:
    """A file-name-safe machine name: ``<cpu>-<cores>c`` (e.g. ``amd-epyc-2c``)."""
    info = info or describe_machine()
    base = "".join(c if c.isalnum() else "-" for c in str(info.get("cpu", "cpu")).lower())
    base = "-".join(p for p in base.split("-") if p)[:40] or "cpu"
    return f"{base}-{info.get('cores', 0)}c"


def peak_rss_mb() -> float:
    """Peak resident set size of this process (MiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def time_calls(fn, repeats: int = 3, warmup: int = 1, min_seconds: float = 0.0) -> dict:
    """Wall time of ``fn()`` (which must block until its result is ready).

    ``warmup`` untimed calls (the first is timed separately as ``first_s``), then ``repeats`` timed
    calls (more while their total is below ``min_seconds``). Returns ``{"best_s", "median_s",
    "runs_s", "first_s", "cpu_s"}`` — best-of-N is the number to compare on a shared machine;
    ``cpu_s`` is the process CPU time (user + system, all threads) of the fastest-CPU call: the
    work done, which other jobs on the machine inflate much less than the wall time."""
    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    first = None
    for k in range(max(0, warmup)):
        t0 = time.perf_counter()
        fn()
        if k == 0:
            first = time.perf_counter() - t0
    runs, cpus = [], []
    while len(runs) < repeats or sum(runs) < min_seconds:
        c0, t0 = cpu(), time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
        if len(runs) >= 50:
            break
    ordered = sorted(runs)
    return {"best_s": round(ordered[0], 5), "median_s": round(ordered[len(ordered) // 2], 5),
            "runs_s": [round(r, 5) for r in runs], "first_s": None if first is None else round(first, 4),
            "cpu_s": round(min(cpus), 4)}


def randomize_weights(model, seed: int = 0, scale: float = 0.05) -> None:
    """Overwrite every kernel/embedding with N(0, scale²) values (fast; for timing and numerics
    comparisons of models built with :func:`~foleygan_tf.models.layers.shape_only_weights`, whose
    zero kernels would make the spectral norm divide by zero)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for v in model.variables:
        name = getattr(v, "path", v.name)
        if any(k in name for k in ("kernel", "embedding", "sn_u")):
            v.assign((rng.standard_normal(tuple(v.shape), dtype=np.float32) * scale).astype(np.float32))


def random_generator(config, policy: str = "float32", seed: int = 0):
    """The generator of ``config`` (:func:`foleygan_tf.models.build.build_generator`) under the
    dtype ``policy`` with random weights, built in seconds (no orthogonal initialisation — only the
    timing and dtype matter here)."""
    import keras

    from foleygan_tf.models.build import build_generator
    from foleygan_tf.models.layers import shape_only_weights

    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        with shape_only_weights():
            generator = build_generator(config)
    finally:
        keras.mixed_precision.set_dtype_policy(previous)
    randomize_weights(generator, seed)
    return generator


def generator_inputs(config, batch: int, seed: int = 0) -> dict:
    """Random conditioning inputs of G in the SavedModel convention (one-hot ``class`` probs)."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    r = config.audio.image_size
    return {
        "z": tf.constant(np.clip(rng.standard_normal((batch, config.gan.z_dim)), -2, 2).astype("float32")),
        "class": tf.one_hot(rng.integers(0, config.num_classes, batch), config.num_classes),
        "action_spectrogram": tf.constant(rng.uniform(-1, 1, (batch, r, r, 3)).astype("float32")),
        "action_curve": tf.constant(rng.uniform(0, 1, (batch, r)).astype("float32")),
    }
