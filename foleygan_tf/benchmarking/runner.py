"""Runs the benchmarks, each (benchmark, preset, variant) task in its own subprocess, and merges
their results into one JSON document (schema below; ``foleygan bench`` is the front end:
:func:`bench`).

Why subprocesses: each task's peak RSS is its own (``peak_rss_mb``), TensorFlow state (dtype
policies, thread pools, XLA caches) cannot leak between tasks, and a task over its time limit is
killed and recorded honestly as ``"not measured: … > N s"`` instead of stalling the run.

Presets: without ``--preset`` each benchmark runs its standard list (``*_PRESETS``); with one, every
benchmark that can measure it runs it (``default`` = the bundled models in
``saved_models/default``, measured by ``generator`` and ``generate`` only). ``--set`` overrides
reach every task that builds a config (in its subprocess, as ``--set`` arguments): the preset with
the overrides applied. The bundled models' config is fixed, so a run with ``--set`` leaves their
tasks out; ``--set train.mixed_precision=…``/``train.jit_compile=…`` keep only the matching
``train`` variants.

Result document (``schema: foleygan_bench/1``)::

    machine, load_average_start, load_average_end, started_at, wall_s, runs: [...], tasks: [...],
    flops:     {preset: {generator_gflops, discriminator_gflops, mtrn_gflops, pair_trn_gflops,
                train_step_gflops_per_example_estimate, vanilla_biggan, …}},
    peak:      {matmul, conv3x3, dense_peak_gflops_s: {float32, bfloat16}},
    codec:     {ours_stft, librosa, ours_lms, speedup_vs_librosa, …},
    generator: {default|preset: {latency_s_batch1, dtype, throughput_clips_s_batch16,
                real_time_factor_batch1, efficiency, by_dtype, bf16_quality, xla, …}},
    train:     {preset: {"float32"|"mixed_bfloat16": {"graph"|"xla": {examples_s, cpu_s, startup_s, …}}}},
    memory:    {preset: {estimate, largest_micro_batch_per_gpu_gb, …}},
    pipeline:  {preset: {examples_s, synth_clips_s, prepare_clips_s, trn, …, train_consumes_examples_s}},
    generate:  {cold_s, warm_s, …},
    targets:   [{name, target, measured, met}]

An entry measured with ``--set`` overrides carries them as ``set`` (so does its run in ``runs``);
``train`` entries with overrides are kept beside the preset's own, under ``"<preset> with <overrides>"``.

Child entry point: ``python -c CHILD_ENTRY --child NAME [--preset P]
[--set FIELD=VALUE …] --kwargs JSON --out FILE``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from foleygan_tf.atomic import write_json
from foleygan_tf.benchmarking import BENCHMARKS
from foleygan_tf.benchmarking.report import percent
from foleygan_tf.benchmarking.common import describe_machine, load_average, machine_slug, peak_rss_mb, task_config

SCHEMA = "foleygan_bench/1"
BUNDLED = "default"  # --preset default: the bundled models, not a config preset
GENERATOR_PRESETS = (BUNDLED, "small", "paper")
TRAIN_PRESETS = ("tiny", "small", "paper")
PIPELINE_PRESETS = ("tiny", "small")
MEMORY_PRESETS = ("paper",)
XLA_GENERATOR_PRESETS = ("small", "paper")
POLICIES = ("float32", "mixed_bfloat16")
# train variants (preset, policy, XLA, time limit) in the order of value: the run's budget cuts from
# the end. XLA:CPU compiles a small-geometry step in 2–4 min and runs it in tens of seconds (its
# convolution gradients), hence their long limits.
TRAIN_VARIANTS = (("tiny", "float32", False, 300), ("small", "mixed_bfloat16", False, 360),
                  ("paper", "mixed_bfloat16", False, 480), ("tiny", "mixed_bfloat16", False, 300),
                  ("small", "float32", False, 360), ("tiny", "float32", True, 300),
                  ("small", "mixed_bfloat16", True, 900), ("paper", "mixed_bfloat16", True, 240),
                  ("tiny", "mixed_bfloat16", True, 300), ("small", "float32", True, 900),
                  ("paper", "float32", False, 360))
FULL_RUN_BUDGET = 870.0   # `make bench`: every benchmark in < 15 min
# The narrow step of the small geometry, the candidate for CPU-trained 11 kHz models (its target
# row): `foleygan bench --only train --preset small --set …` with these overrides.
NARROW_SMALL = ("gan.ch=8", "train.batch_size=4", "train.accumulation_steps=2", "train.d_steps=1")


class Task:
    def __init__(self, bench, preset, kwargs=None, timeout=300.0, label=None, overrides=()):
        self.bench, self.preset, self.kwargs, self.timeout = bench, preset, dict(kwargs or {}), float(timeout)
        self.overrides = list(overrides)
        self.label = label or "/".join(str(x) for x in (bench, preset, *(f"{k}={v}" for k, v in self.kwargs.items()))
                                       if x is not None)
        if self.overrides:
            self.label += "/set=" + ",".join(self.overrides)


def config_presets() -> tuple[str, ...]:
    """The names ``--preset`` accepts: every preset of ``foleygan_tf.config.PRESETS`` and ``default``."""
    from foleygan_tf.config import PRESETS

    return (*PRESETS, BUNDLED)


def plan(only=None, preset=None, overrides=()) -> list[Task]:
    """The tasks of a run, most important first (the run's time budget cuts from the end).
    A bad ``--only``, ``--preset`` or ``--set`` raises ``ValueError`` before anything runs."""
    from foleygan_tf.config import PRESETS

    only = list(only or BENCHMARKS)
    overrides = list(overrides or ())
    unknown = [b for b in only if b not in BENCHMARKS]
    if unknown:
        raise ValueError(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    if preset is not None and preset not in config_presets():
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(config_presets())}")
    if overrides and preset == BUNDLED:
        raise ValueError("--set does not apply to the bundled models (--preset default): their config is fixed")

    def presets(defaults, any_preset=True):
        """``defaults`` without ``--preset``; else the given preset, if this benchmark measures it."""
        if preset is None:
            return [p for p in defaults if p in PRESETS or (p == BUNDLED and not overrides)]
        if preset == BUNDLED:
            return [preset] if preset in defaults else []
        return [preset] if any_preset or preset in defaults else []

    def task(bench, p, kwargs=None, timeout=300.0, label=None):
        return Task(bench, p, kwargs, timeout, label, overrides if p != BUNDLED else ())

    configs = {}

    def config_of(p):  # the preset with the overrides applied: a bad --set fails here, before any task
        if p not in configs:
            configs[p] = task_config(p, overrides)
        return configs[p]

    tasks = []
    if {"flops", "generator", "train"} & set(only):
        wanted = set(presets(TRAIN_PRESETS)) if {"flops", "train"} & set(only) else set()
        wanted |= set(presets(GENERATOR_PRESETS)) if "generator" in only else set()
        ordered = [p for p in dict.fromkeys((*TRAIN_PRESETS, *PRESETS)) if p in wanted]
        if ordered:
            tasks.append(task("flops", None, {"presets": ordered}, timeout=240, label="flops"))
    if "peak" in only:
        tasks.append(Task("peak", None, timeout=150))
    if "codec" in only and preset != BUNDLED:
        tasks.append(task("codec", preset or "paper", timeout=180))
    if "generator" in only:
        for p in presets(GENERATOR_PRESETS):
            tasks.append(task("generator", p, timeout={"paper": 480, "small": 240}.get(p, 180)))
    if "generate" in only and preset in (None, BUNDLED) and not overrides:
        tasks.append(Task("generate", BUNDLED, timeout=240))
    pipelines = [task("pipeline", p, timeout=240) for p in presets(PIPELINE_PRESETS)] if "pipeline" in only else []
    tasks += pipelines[:1]
    train = []
    if "train" in only:
        chosen = presets(TRAIN_PRESETS)
        variants = [v for v in TRAIN_VARIANTS if v[0] in chosen]
        variants += [(p, policy, jit, 360) for p in chosen if p not in TRAIN_PRESETS
                     for jit in (False, True) for policy in POLICIES]
        keys = {o.split("=", 1)[0].strip() for o in overrides}
        for p, policy, jit, limit in variants:
            if "train.mixed_precision" in keys and config_of(p).train.mixed_precision != policy:
                continue
            if "train.jit_compile" in keys and config_of(p).train.jit_compile != jit:
                continue
            train.append(task("train", p, {"policy": policy, "jit": jit}, timeout=limit))
    tasks += [t for t in train if not t.kwargs["jit"]][:3]
    # XLA inference variants: compile times on a 2-core CPU are the least predictable
    if "generator" in only:
        for p in presets(XLA_GENERATOR_PRESETS, any_preset=False):
            dtypes = ["float32", "bfloat16"] if p == "small" else ["float32"]
            tasks.append(task("generator", p, {"xla": True, "dtypes": dtypes}, timeout=180 if p == "paper" else 240))
    if "memory" in only:
        tasks += [task("memory", p, timeout=420) for p in presets(MEMORY_PRESETS)]
    tasks += pipelines[1:] + [t for t in train if t not in tasks]
    for t in tasks:
        for p in [t.preset, *t.kwargs.get("presets", [])] if t.overrides else []:
            if p in PRESETS:
                config_of(p)
    if not tasks:
        raise ValueError(f"nothing to measure: --only {' '.join(only)}"
                         + (f" --preset {preset}" if preset else "")
                         + (" with --set (the bundled models' tasks take no overrides)" if overrides else ""))
    return tasks


# ---- child side ------------------------------------------------------------------------------

def run_child(bench: str, preset: str | None, kwargs: dict, overrides=()) -> dict:
    load0 = load_average()
    t0 = time.perf_counter()
    module = importlib.import_module(f"foleygan_tf.benchmarking.{bench}")
    if overrides:
        kwargs = {**kwargs, "overrides": list(overrides)}
    result = module.run(preset, **kwargs) if preset is not None else module.run(**kwargs)
    if overrides:
        result["set"] = list(overrides)
    result["task_wall_s"] = round(time.perf_counter() - t0, 2)
    result["peak_rss_mb"] = peak_rss_mb()
    result["load_average"] = {"start": load0, "end": load_average()}
    return result


# The child interpreter's entry point (no __main__ block: the package's only one is the CLI's).
CHILD_ENTRY = "import sys; from foleygan_tf.benchmarking.runner import child_main; sys.exit(child_main(sys.argv[1:]))"


def child_main(argv) -> int:
    from foleygan_tf.cli import common_parser

    ap = argparse.ArgumentParser(parents=[common_parser()])   # --preset and --set, as every command parses them
    ap.add_argument("--child", required=True)
    ap.add_argument("--kwargs", default="{}")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    write_json(a.out, run_child(a.child, a.preset, json.loads(a.kwargs), a.overrides), indent=2)
    return 0


# ---- parent side -----------------------------------------------------------------------------

def run_task(task: Task, timeout: float, log=None) -> dict:
    """Run ``task`` in a fresh interpreter; its result dict, or ``{"status": "not measured: …"}``."""
    fd, out = tempfile.mkstemp(prefix="foleygan_bench_", suffix=".json")
    os.close(fd)
    os.unlink(out)
    cmd = [sys.executable, "-c", CHILD_ENTRY, "--child", task.bench,
           "--kwargs", json.dumps(task.kwargs), "--out", out]
    if task.preset is not None:
        cmd += ["--preset", task.preset]
    for override in task.overrides:
        cmd += ["--set", override]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # our own child's session only
        proc.communicate()
        what = "compile" if task.kwargs.get("jit") or task.kwargs.get("xla") else "run"
        return {"status": f"not measured: {what} > {int(timeout)} s (time limit of this task)",
                "task_wall_s": round(time.perf_counter() - t0, 1)}
    try:
        if proc.returncode != 0 or not os.path.exists(out):
            tail = " | ".join(line for line in (err or "").strip().splitlines()[-3:])
            return {"status": f"failed (exit {proc.returncode}): {tail[-400:]}",
                    "task_wall_s": round(time.perf_counter() - t0, 1)}
        with open(out) as f:
            result = json.load(f)
        result["status"] = "ok"
        return result
    finally:
        if os.path.exists(out):
            os.unlink(out)


def _store(results: dict, task: Task, result: dict) -> None:
    b, p = task.bench, task.preset
    if b in ("peak", "codec", "generate"):
        results[b] = result
    elif b == "flops":
        flops = results.setdefault("flops", {})
        if result.get("status") == "ok":
            for name, entry in result["presets"].items():
                flops[name] = {**entry, "peak_rss_mb": result.get("peak_rss_mb"),
                               **({"set": result["set"]} if result.get("set") else {})}
        else:
            for name in task.kwargs["presets"]:
                flops[name] = {"status": result.get("status")}
    elif b == "generator":
        entry = results.setdefault("generator", {}).setdefault(p, {})
        if task.kwargs.get("xla"):
            entry["xla"] = result.get("xla", result) if result.get("status") == "ok" else result
            if result.get("status") == "ok":
                for key in ("peak_rss_mb", "task_wall_s", "set"):
                    if key in result:
                        entry["xla"][key] = result[key]
        else:
            xla = entry.get("xla")
            entry.clear()
            entry.update(result)
            if xla is not None:
                entry["xla"] = xla
    elif b == "train":
        mode = "xla" if task.kwargs.get("jit") else "graph"
        key = train_key(p, task.overrides)
        results.setdefault("train", {}).setdefault(key, {}).setdefault(task.kwargs["policy"], {})[mode] = result
    elif b in ("pipeline", "memory"):
        results.setdefault(b, {})[p] = result


def train_key(preset: str, overrides=()) -> str:
    """The ``train`` section's key of a preset measured with ``overrides``."""
    return f"{preset} with {' '.join(overrides)}" if overrides else preset


def derive(results: dict) -> None:
    """Efficiencies, pipeline-vs-training rates and the target table from the raw results."""
    peak = (results.get("peak") or {}).get("dense_peak_gflops_s") or {}
    peak_cpu = (results.get("peak") or {}).get("dense_peak_gflop_per_cpu_s") or {}
    for name, entry in (results.get("generator") or {}).items():
        for dtype, d in (entry.get("by_dtype") or {}).items():
            if peak.get(dtype):
                d["efficiency"] = round(d["achieved_gflops_s"] / peak[dtype], 3)
            if peak_cpu.get(dtype) and d.get("cpu_s") and entry.get("gflops_per_clip"):
                d["efficiency_cpu_time"] = round(entry["gflops_per_clip"] / d["cpu_s"] / peak_cpu[dtype], 3)
        if entry.get("dtype") and peak.get(entry["dtype"]) and entry.get("achieved_gflops_s"):
            entry["efficiency"] = round(entry["achieved_gflops_s"] / peak[entry["dtype"]], 3)
            entry["peak_gflops_s_same_dtype"] = peak[entry["dtype"]]
    for p, by_policy in (results.get("train") or {}).items():
        for policy, modes in by_policy.items():
            dtype = "bfloat16" if "bfloat16" in policy else "float32"
            for m in modes.values():
                if m.get("achieved_gflops_s_estimate") and peak.get(dtype):
                    m["efficiency_estimate"] = round(m["achieved_gflops_s_estimate"] / peak[dtype], 3)
                if m.get("gflop_per_cpu_s_estimate") and peak_cpu.get(dtype):
                    m["efficiency_cpu_estimate"] = round(m["gflop_per_cpu_s_estimate"] / peak_cpu[dtype], 3)
    for p, pipe in (results.get("pipeline") or {}).items():
        # every train entry of the preset's geometry: its own and those measured with --set
        entries = [e for key, e in (results.get("train") or {}).items() if key == p or key.startswith(f"{p} with ")]
        rates = [m.get("examples_s") for by_policy in entries for modes in by_policy.values()
                 for m in modes.values() if m.get("examples_s")]
        if rates and pipe.get("examples_s"):
            pipe["train_consumes_examples_s"] = max(rates)
            pipe["pipeline_over_training"] = round(pipe["examples_s"] / max(rates), 1)
    results["targets"] = targets(results)


def targets(results: dict) -> list[dict]:
    rows = []
    codec = results.get("codec") or {}
    if codec.get("speedup_vs_librosa") is not None:
        patch = (codec.get("ours_stft_atan2_patch") or {}).get("speedup_vs_librosa")
        rows.append({"name": f"codec faster than librosa ({codec.get('preset')} STFT settings)",
                     "target": "> 1.0× librosa", "measured": f"{codec['speedup_vs_librosa']}×"
                     + (f" (with the proposed atan2 patch: {patch}×)" if patch else ""),
                     "met": codec["speedup_vs_librosa"] > 1.0 and codec.get("preset") == "paper"})
    paper = (results.get("generator") or {}).get("paper") or {}
    if paper.get("latency_s_batch1") is not None:
        best = (paper.get("by_dtype") or {}).get(paper.get("dtype"), {})
        idle = best.get("idle_machine_estimate_s")
        rows.append({"name": "paper-preset G, batch 1, per 3 s clip", "target": "≤ 1 s",
                     "measured": f"{paper['latency_s_batch1']:.2f} s ({paper.get('dtype')})"
                                 + (f"; CPU time {best.get('cpu_s'):.2f} s → idle 2-core estimate {idle:.2f} s"
                                    if idle else ""),
                     "met": paper["latency_s_batch1"] <= 1.0})
    if paper.get("efficiency") is not None:
        best = (paper.get("by_dtype") or {}).get(paper.get("dtype"), {})
        cpu_eff = best.get("efficiency_cpu_time")
        # On a shared machine the wall-clock peak and G are timed at different moments of a moving
        # load, so their ratio can land anywhere (even > 100 %); the ratio of FLOPs per CPU-second
        # is the robust one and decides the target when it is available.
        decisive = cpu_eff if cpu_eff is not None else paper["efficiency"]
        rows.append({"name": "paper-preset G efficiency vs dense peak of the same dtype", "target": "≥ 50 %",
                     "measured": (f"per CPU-second {100 * cpu_eff:.0f} % of the {paper.get('dtype')} peak; "
                                  if cpu_eff is not None else "")
                                 + f"wall-clock {100 * paper['efficiency']:.0f} % of "
                                   f"{paper.get('peak_gflops_s_same_dtype')} GFLOP/s",
                     "met": decisive >= 0.5})
    gen = results.get("generate") or {}
    if gen.get("cold_s") is not None:
        rows.append({"name": "`foleygan generate`, 10 s video, default models (fresh process)",
                     "target": "< 10 s",
                     "measured": f"{gen['cold_s']:.1f} s (CPU {gen.get('cold_cpu_s', 0):.1f} s; of which "
                                 f"`import tensorflow` {gen.get('import_tensorflow_s', 0):.1f} s; warm {gen.get('warm_s'):.2f} s)",
                     "met": gen["cold_s"] < 10.0})
    rows += _train_targets(results)
    for name in ("paper", BUNDLED):
        g = (results.get("generator") or {}).get(name) or {}
        if g.get("latency_s_batch1") and g.get("throughput_clips_s_batch16"):
            single = 1.0 / g["latency_s_batch1"]
            rows.append({"name": f"G throughput per clip, batch 16 vs batch 1 ({_label(name)})", "target": "≥ 1×",
                         "measured": f"{g['throughput_clips_s_batch16']:.3g} vs {single:.3g} clips/s "
                                     f"({g.get('throughput_dtype')}) = {g['throughput_clips_s_batch16'] / single:.2f}×",
                         "met": g["throughput_clips_s_batch16"] >= single})
    for name, pipe in sorted((results.get("pipeline") or {}).items()):
        if pipe.get("pipeline_over_training") is not None:
            rows.append({"name": f"input pipeline vs the fastest train step ({name})", "target": "≥ 5×",
                         "measured": f"{pipe['examples_s']} vs {pipe['train_consumes_examples_s']} examples/s "
                                     f"= {pipe['pipeline_over_training']}×",
                         "met": pipe["pipeline_over_training"] >= 5.0})
    return rows


def _label(name: str) -> str:
    return "bundled models" if name == BUNDLED else f"{name} preset"


def _variants(by_policy: dict) -> list[tuple[str, str, dict]]:
    """``(policy, mode, entry)`` of every float32 / mixed_bfloat16 × graph / XLA variant (entry
    ``{}`` when absent)."""
    return [(policy, mode, ((by_policy or {}).get(policy) or {}).get(mode) or {})
            for policy in POLICIES for mode in ("graph", "xla")]


def _decisive(entry: dict):
    """FLOPs per CPU-second ÷ the peak's when measured (robust to other jobs), else per wall second."""
    cpu = entry.get("efficiency_cpu_estimate")
    return cpu if cpu is not None else entry.get("efficiency_estimate")


def _efficiency_target(name: str, by_policy: dict, required: float, every_variant: bool) -> dict | None:
    measured = [(p, m, e) for p, m, e in _variants(by_policy) if _decisive(e) is not None]
    if not measured:
        return None
    policy, mode, best = max(measured, key=lambda v: _decisive(v[2]))
    missing = [f"{p} {m}" for p, m, e in _variants(by_policy) if _decisive(e) is None]
    text = (f"best: {policy} {mode}, {best.get('step_s')} s/step: "
            + (f"per CPU-second {percent(best.get('efficiency_cpu_estimate'))}, " if best.get("efficiency_cpu_estimate") else "")
            + f"wall-clock {percent(best.get('efficiency_estimate'))} of the same dtype's peak")
    if missing:
        text += f"; not measured: {', '.join(missing)}"
    return {"name": name, "target": f"≥ {100 * required:.0f} %" + (", every variant measured" if every_variant else ""),
            "measured": text, "met": _decisive(best) >= required and not (every_variant and missing)}


def _train_targets(results: dict) -> list[dict]:
    """The train-step rows: the narrow small step ≥ 50 % and the shipped small step ≥ 70 % of the
    dense peak; network build + first step ≤ 15 s (tiny) and ≤ 30 s (the narrow small step)."""
    from foleygan_tf.config import get_preset

    train, rows = results.get("train") or {}, []
    narrow = train.get(train_key("small", NARROW_SMALL))
    for name, entry, required, every in (
            (f"narrow small step ({', '.join(NARROW_SMALL)}) vs dense peak", narrow, 0.5, True),
            ("shipped small step vs dense peak", train.get("small"), 0.7, False)):
        row = _efficiency_target(name, entry, required, every) if entry else None
        if row:
            rows.append(row)
    # the tiny preset's own variant; the small geometry in the variant a CPU runs it in (float32
    # graph mode — small's own bf16 + XLA is its GPU design), at the narrow width
    tiny = get_preset("tiny").train
    for preset, key, policy, mode, limit in (
            ("tiny", "tiny", tiny.mixed_precision, "xla" if tiny.jit_compile else "graph", 15.0),
            ("small, narrow", train_key("small", NARROW_SMALL), "float32", "graph", 30.0)):
        entry = ((train.get(key) or {}).get(policy) or {}).get(mode) or {}
        if entry.get("startup_s") is not None:
            rows.append({"name": f"network build + first train step ({preset}, {policy} {mode})",
                         "target": f"≤ {limit:.0f} s",
                         "measured": f"{entry['startup_s']} s (build {entry.get('build_s')} s, first step "
                                     f"{entry.get('first_step_s')} s)",
                         "met": entry["startup_s"] <= limit})
    return rows


def default_budget(tasks, only=None, preset=None) -> float:
    """A full run (no ``--only``, no ``--preset``) keeps to :data:`FULL_RUN_BUDGET`; a targeted one
    gets the time its tasks may take (the sum of their limits), so none is cut by the budget."""
    if not only and preset is None:
        return FULL_RUN_BUDGET
    return float(sum(t.timeout for t in tasks))


def run_benchmarks(out: str, only=None, preset=None, overrides=(), budget: float | None = None, log=print,
                   merge: bool = True, fill: bool = False) -> dict:
    """Run the planned tasks (:func:`plan`) within ``budget`` seconds (default
    :func:`default_budget`) and write the JSON document to ``out`` after every task (partial
    results survive an interrupted run).

    ``merge``: update an existing ``out`` of the same schema section by section. ``fill``: also
    skip the tasks that ``out`` already holds as measured ("ok") — a second run that fills the
    gaps a time budget left (each task records when it was measured; ``runs`` lists every run
    with its load averages)."""
    tasks = plan(only, preset, overrides)
    budget = default_budget(tasks, only, preset) if budget is None else float(budget)
    results = {}
    if merge and os.path.exists(out):
        try:
            with open(out) as f:
                previous = json.load(f)
            if previous.get("schema") == SCHEMA:
                results = previous
        except (OSError, ValueError):
            results = {}
    done = {t["task"]: t for t in results.get("tasks", []) if t.get("status") == "ok"} if fill else {}
    command = " ".join(["foleygan", "bench", *sys.argv[2:]]) if sys.argv and sys.argv[0].endswith("foleygan") else None
    runs = results.get("runs", []) if merge else []
    if merge and not runs and results.get("started_at"):  # a file written before `runs` existed
        runs = [{k: results.get(k) for k in ("command", "started_at", "finished_at", "budget_s", "wall_s",
                                             "load_average_start", "load_average_end")}]
    run = {"command": command, "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "budget_s": budget,
           "load_average_start": load_average(), "fill": bool(fill), "preset": preset,
           **({"set": list(overrides)} if overrides else {})}
    runs.append(run)
    results.update({"schema": SCHEMA, "command": command, "machine": describe_machine(),
                    "load_average_start": run["load_average_start"], "started_at": run["started_at"],
                    "budget_s": budget, "runs": runs})
    previous_tasks = {t["task"]: t for t in results.get("tasks", [])}
    results["tasks"] = []
    start = time.perf_counter()
    for task in tasks:
        if task.label in done:
            results["tasks"].append(done[task.label])
            continue
        remaining = budget - (time.perf_counter() - start)
        if remaining < 20:
            result = {"status": f"not measured: over the run's time budget ({int(budget)} s)"}
        else:
            limit = min(task.timeout, remaining)
            if log:
                log(f"[{time.perf_counter() - start:6.0f} s] {task.label} (limit {int(limit)} s, "
                    f"load {load_average()})")
            result = run_task(task, limit)
            if result.get("status") != "ok" and limit < task.timeout and "not measured" in result["status"]:
                result["status"] = f"not measured: over the run's time budget ({int(budget)} s)"
        if log:
            log(f"         → {result.get('status')} ({result.get('task_wall_s', '—')} s)")
        results["tasks"].append({"task": task.label, "status": result.get("status"),
                                 "wall_s": result.get("task_wall_s"), "peak_rss_mb": result.get("peak_rss_mb"),
                                 "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                 "load_average": (result.get("load_average") or {}).get("start")})
        if result.get("status") == "ok" or task.label not in previous_tasks or not fill:
            _store(results, task, result)
        derive(results)
        results["wall_s"] = run["wall_s"] = round(time.perf_counter() - start, 1)
        results["load_average_end"] = run["load_average_end"] = load_average()
        write_json(out, results, indent=2)
    # tasks of earlier runs that this plan did not include stay listed
    labels = {t["task"] for t in results["tasks"]}
    results["tasks"] += [t for label, t in previous_tasks.items() if label not in labels and merge]
    results["finished_at"] = run["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    derive(results)
    write_json(out, results, indent=2)
    return results


def result_path(out: str) -> str:
    """``out``, or ``out/<machine>.json`` when ``out`` is a folder or ends with a separator."""
    if os.path.isdir(out) or out.endswith(os.sep):
        return os.path.join(out, f"{machine_slug()}.json")
    return out


def bench(out: str, *, only=None, preset=None, overrides=(), readme=None, budget: float | None = None,
          merge: bool = True, fill: bool = False, log=None) -> str:
    """``foleygan bench``: run (:func:`run_benchmarks`) into :func:`result_path` ``(out)``, rewrite
    the results section of ``readme`` (:func:`~foleygan_tf.benchmarking.report.update_readme`) when
    given; returns the summary to print (file, tasks, targets)."""
    from foleygan_tf.benchmarking.report import summary, update_readme

    path = result_path(out)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    results = run_benchmarks(path, only=only, preset=preset, overrides=overrides, budget=budget, log=log,
                             merge=merge, fill=fill)
    if readme:
        update_readme(readme, results, os.path.relpath(path, os.path.dirname(os.path.abspath(readme))))
    return summary(results, path)
