"""Markdown tables from a ``foleygan bench`` JSON document, written between the
``<!-- bench:results:begin -->`` / ``<!-- bench:results:end -->`` markers of a README
(``foleygan bench --render --out RESULTS.json --readme benchmarks/README.md`` redraws them alone).
"""

from __future__ import annotations

import json
import os

from foleygan_tf.atomic import write_json, write_text

BEGIN = "<!-- bench:results:begin -->"
END = "<!-- bench:results:end -->"


def _f(x, digits=3, unit=""):
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if abs(x) >= 100:
        s = f"{x:,.0f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.{digits}g}"
    return s + unit


def _count(n):
    return "—" if n is None else f"{n:,}"


def percent(x):
    return "—" if x is None else f"{100 * x:.0f} %"


def _runs(results):
    runs = results.get("runs") or [{"started_at": results.get("started_at"), "wall_s": results.get("wall_s"),
                                    "load_average_start": results.get("load_average_start"),
                                    "load_average_end": results.get("load_average_end")}]
    parts = [f"run {k + 1} ({'filling gaps, ' if r.get('fill') else ''}{r.get('started_at')}, {r.get('wall_s')} s"
             f"{_set(r)}): **load average {r.get('load_average_start')} at the start, "
             f"{r.get('load_average_end')} at the end**"
             for k, r in enumerate(runs)]
    return "; ".join(parts) + "."


def _set(entry):
    """`` with --set a=b, c=d`` for an entry (or run) measured with config overrides."""
    overrides = (entry or {}).get("set")
    return f" with --set {', '.join(overrides)}" if overrides else ""


def _preset_order(section: dict) -> list[str]:
    """The presets of a section: the bundled models first, then smallest to largest config preset
    (the reverse of ``PRESETS``), then any other name."""
    from foleygan_tf.config import PRESETS

    known = ["default", *reversed(list(PRESETS))]
    return [p for p in known if p in section] + [p for p in section if p not in known]


def _status(entry):
    status = (entry or {}).get("status")
    return None if status in (None, "ok") else status


# Anchors (benchmarks/README.md, "Anchors and estimates"): published figures we compare against.
PAPER_TRAIN_EXAMPLES_S = 12_000 * 2048 / (8 * 86_400)   # one V100, 12k iterations × 2048 in 8 days
MMAUDIO_SECONDS_PER_8S = 1.23                             # MMAudio, 8 s clip, one GPU
V100_FP16_TENSOR_TFLOPS = 125.0                           # NVIDIA V100 SXM2 dense fp16 tensor-core peak
V100_FP32_TFLOPS = 15.7
ASSUMED_GPU_UTILISATION = 0.30                            # assumption for the estimates below
GB = 1e9


def anchor_rows(results: dict) -> list[str]:
    flops = (results.get("flops") or {}).get("paper") or {}
    step = flops.get("train_step_gflops_per_example_estimate")
    g = flops.get("generator_gflops") or ((results.get("generator") or {}).get("paper") or {}).get("gflops_per_clip")
    train = (((results.get("train") or {}).get("paper") or {}).get("mixed_bfloat16") or {}).get("graph") or {}
    paper_g = (results.get("generator") or {}).get("paper") or {}
    codec = results.get("codec") or {}
    rows = ["| anchor | published | here (measured on this CPU) | FLOP-based GPU **estimate** |", "|---|---|---|---|"]
    ours_train = (f"paper preset, bf16, micro-batch 1: **{_f(train.get('examples_s'))} examples/s** "
                  f"({_f(PAPER_TRAIN_EXAMPLES_S / train['examples_s'])}× slower)"
                  if train.get("examples_s") else (_status(train) or "not measured"))
    est_train = "—"
    if step:
        need = step * PAPER_TRAIN_EXAMPLES_S / 1e3
        est_train = (f"{_f(step)} GFLOP per example (train-step estimate) × 35.6 /s = {need:.0f} TFLOP/s sustained "
                     f"= {100 * need / V100_FP16_TENSOR_TFLOPS:.0f} % of a V100's fp16 tensor-core peak "
                     f"({V100_FP16_TENSOR_TFLOPS:.0f} TFLOP/s); at an assumed {100 * ASSUMED_GPU_UTILISATION:.0f} % a V100 "
                     f"would do {V100_FP16_TENSOR_TFLOPS * ASSUMED_GPU_UTILISATION * 1e3 / step:.0f} examples/s")
    rows.append(f"| FoleyGAN paper: one V100, 500 epochs = 12k iterations × batch 2048 in 8 days | "
                f"{PAPER_TRAIN_EXAMPLES_S:.1f} examples/s | {ours_train} | {est_train} |")
    if g:
        windows = 4  # an 8 s clip = 4 windows of 2.97 s with ≥ 0.5 s overlap (FoleyPipeline.plan_windows)
        ours = "not measured"
        if paper_g.get("latency_s_batch1"):
            best = (paper_g.get("by_dtype") or {}).get(paper_g.get("dtype"), {})
            ours = (f"paper preset, {windows} windows × G batch 1 ({paper_g.get('dtype')}): "
                    f"**{windows * paper_g['latency_s_batch1']:.1f} s** "
                    f"(idle 2-core estimate from CPU time {windows * (best.get('idle_machine_estimate_s') or 0):.1f} s; "
                    "decode not included)")
        gpu_s = windows * g / (V100_FP16_TENSOR_TFLOPS * ASSUMED_GPU_UTILISATION * 1e3)
        rows.append(f"| MMAudio: an 8 s clip in ≈ 1.23 s on a GPU | {MMAUDIO_SECONDS_PER_8S} s | {ours} | "
                    f"{windows} × {_f(g)} GFLOP = {windows * g / 1e3:.2f} TFLOP → {1e3 * gpu_s:.0f} ms on a V100 at "
                    f"{100 * ASSUMED_GPU_UTILISATION:.0f} % of fp16 peak (G only) |")
    if codec.get("librosa"):
        rows.append(f"| librosa `stft` + `istft` ({codec.get('preset')} settings, batch {codec.get('batch')}) | "
                    f"{_f(codec['librosa']['clips_s'])} clips/s (measured here) | `SpectrogramCodec`: "
                    f"{_f(codec['ours_stft']['clips_s'])} clips/s = {_f(codec.get('speedup_vs_librosa'))}× | — |")
    return rows


def _name(preset: str, entry: dict) -> str:
    if preset == "default":
        return f"default (bundled, {entry.get('preset', '?')})"
    return preset + _set(entry)


def _preset_table(results: dict, key: str, title: str, header: list[str], row) -> list[str]:
    """A titled Markdown table with one row per preset of the section ``results[key]`` (none when
    it is empty): the preset's name, then ``row(entry)``'s cells — or the entry's status when it was
    not measured."""
    section = results.get(key) or {}
    if not section:
        return []
    lines = [title, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for p in _preset_order(section):
        e = section[p]
        cells = [_status(e)] + [""] * (len(header) - 2) if _status(e) else row(e)
        lines.append("| " + " | ".join([_name(p, e), *cells]) + " |")
    return lines + [""]


def _vanilla(v: dict | None) -> str:
    if not v:
        return "—"
    return f"{_count(v.get('generator_params'))} / {_count(v.get('discriminator_params'))}, {_f(v.get('generator_gflops'))}"


def _generator_row(e: dict) -> list[str]:
    bd = e.get("by_dtype", {})
    q = e.get("bf16_quality") or {}
    xla = e.get("xla") or {}
    xs = _status(xla) or (", ".join(
        f"{d}: {_f(v.get('latency_s_batch1'))} s (compile+first {_f(v.get('compile_and_first_call_s'))} s)"
        for d, v in xla.items() if isinstance(v, dict) and "latency_s_batch1" in v) or "—") + _set(xla)
    by = {d: f"{_f(bd.get(d, {}).get('latency_s_batch1'))} s (CPU {_f(bd.get(d, {}).get('cpu_s'))} s)"
          for d in ("float32", "bfloat16")}
    return [_f(e.get("gflops_per_clip")), by["float32"], by["bfloat16"],
            f"**{_f(e.get('latency_s_batch1'))} s** {e.get('dtype')}", _f(e.get("real_time_factor_batch1")),
            f"{percent(bd.get(e.get('dtype'), {}).get('efficiency_cpu_time'))} · {percent(e.get('efficiency'))}",
            f"{_f(e.get('serving_latency_s_batch1'))} s", f"{_f(e.get('throughput_clips_s_batch16'))} clips/s",
            f"{_f(q.get('image_snr_db'))} dB / {_f(q.get('waveform_snr_db'))} dB / {_f(q.get('spectral_convergence'))}",
            xs, _f(e.get("peak_rss_mb"), unit=" MB")]


def _memory_row(e: dict) -> list[str]:
    est = e["estimate"]
    return [str(e.get("mixed_precision")), f"{est['state_bytes'] / GB:.2f} GB",
            f"{est['updates']['d']['per_example_bytes'] / GB:.3f} / {est['updates']['g']['per_example_bytes'] / GB:.3f} GB",
            ", ".join(f"{b}: {int(v) / GB:.1f} GB" for b, v in est["peak_bytes"].items()),
            ", ".join(f"{g} GB: {n}" for g, n in e["largest_micro_batch_per_gpu_gb"].items())]


def render(results: dict, source: str | None = None) -> str:
    m = results.get("machine", {})
    lines = [f"_Generated by `foleygan bench` from `{source or 'the result JSON'}` — do not edit by hand._", ""]
    lines.append(f"**Machine:** {m.get('cpu')}, {m.get('cores')} cores ({', '.join(m.get('cpu_flags', []))}), "
                 f"{m.get('memory_gb')} GB, {m.get('os')}, Python {m.get('python')}, TensorFlow "
                 f"{m.get('tensorflow')} (oneDNN {'on' if m.get('onednn') else 'off'}), GPU: {m.get('gpu')}. "
                 + _runs(results) + " Load average = 1/5/15 min; other jobs shared the cores — timings are "
                 "best-of-N, and each task's own load average is in the JSON (`tasks`).")
    lines.append("")
    rows = results.get("targets") or []
    if rows:
        lines += ["| target | required | measured | |", "|---|---|---|---|"]
        lines += [f"| {r['name']} | {r['target']} | {r['measured']} | {'met' if r['met'] else '**missed**'} |"
                  for r in rows]
        lines.append("")
    peak = results.get("peak") or {}
    if peak and not _status(peak):
        lines += ["**Dense peak** (TensorFlow, this machine; GFLOP/s):", "",
                  "| kernel | float32 | bfloat16 | peak RSS |", "|---|---|---|---|"]
        for k, label in (("matmul", "matmul 2048³"), ("conv3x3", "conv 3×3, 96→96, 512²")):
            lines.append(f"| {label} | {_f(peak[k]['float32']['gflops_s'])} | {_f(peak[k]['bfloat16']['gflops_s'])} "
                         f"| {_f(peak.get('peak_rss_mb'), unit=' MB')} |")
        lines.append("")
    lines += _preset_table(
        results, "flops",
        "**FLOPs and parameters per example** (analytic, forward; trainable parameters; train step = estimate with "
        "backward ≈ 2× forward; vanilla BigGAN = the same config with `gan.guidance=none`):",
        ["preset", "G params", "D params", "G GFLOP", "D GFLOP", "MTRN GFLOP", "2-frame TRN GFLOP",
         "train step GFLOP/example", "vanilla BigGAN G / D params, G GFLOP"],
        lambda e: [_count(e.get("generator_params")), _count(e.get("discriminator_params")),
                   _f(e.get("generator_gflops")), _f(e.get("discriminator_gflops")), _f(e.get("mtrn_gflops")),
                   _f(e.get("pair_trn_gflops")), _f(e.get("train_step_gflops_per_example_estimate")),
                   _vanilla(e.get("vanilla_biggan"))])
    codec = results.get("codec") or {}
    if codec:
        if _status(codec):
            lines += [f"**Codec:** {_status(codec)}", ""]
        else:
            s = codec["settings"]
            lines += [f"**Codec** ({codec['preset']} settings{_set(codec)}: {s['sample_rate']} Hz, {s['clip_seconds']} s clips, "
                      f"{s['window']}, hop {s['hop']}, FFT {s['fft']}, no centring; batch {codec['batch']}; "
                      "encode + decode):", "",
                      "| implementation | clips/s | vs librosa | peak RSS |", "|---|---|---|---|",
                      f"| `SpectrogramCodec` (`stft` encoding) | {_f(codec['ours_stft']['clips_s'])} | "
                      f"{_f(codec['speedup_vs_librosa'])}× | {_f(codec.get('peak_rss_mb'), unit=' MB')} |",
                      f"| librosa {codec['librosa'].get('version')} `stft` + `istft` | {_f(codec['librosa']['clips_s'])} "
                      "| 1× | (same process) |",
                      *([f"| `SpectrogramCodec` `stft` with the proposed `atan2` patch (not applied; see below) | "
                         f"{_f(codec['ours_stft_atan2_patch']['clips_s'])} | "
                         f"{_f(codec['ours_stft_atan2_patch'].get('speedup_vs_librosa'))}× | |"]
                        if codec.get("ours_stft_atan2_patch") else []),
                      f"| `SpectrogramCodec` (`lms`, default; {codec['ours_lms'].get('griffin_lim_iterations')} "
                      f"Griffin-Lim iterations on decode) | {_f(codec['ours_lms']['clips_s'])} | — | |", ""]
    gens = results.get("generator") or {}
    lines += _preset_table(
        results, "generator",
        "**Generator inference** (per 3 s clip; G forward, wall time with the CPU seconds of the call; efficiency = "
        "FLOPs per CPU-second ÷ the same dtype's peak per CPU-second, and the wall-clock ratio, which the moving "
        "load of a shared machine makes unreliable):",
        ["preset", "GFLOP/clip", "batch 1 float32", "batch 1 bfloat16", "best: `latency_s_batch1`", "real-time ×",
         "efficiency (CPU-s · wall)", "G + decode (serving)", "`throughput_clips_s_batch16`",
         "bf16 vs f32 (image SNR / wave SNR / spectral conv.)", "XLA batch 1", "peak RSS"], _generator_row)
    train = results.get("train") or {}
    if train:
        lines += ["**Training** (`FoleyGAN.train_step` on in-memory batches; examples/s = examples consumed per "
                  "step ÷ best step time, with that step's CPU seconds; a step = `d_steps` D updates + 1 G update; "
                  "startup = network build + first step (tracing, graph optimisation, XLA compilation); efficiency "
                  "= the train-step FLOP estimate per wall second and per CPU-second ÷ the same dtype's dense "
                  "peak):", "",
                  "| preset | micro-batch × accum. × d_steps | policy | graph (no XLA) | XLA | startup (graph / XLA) "
                  "| efficiency wall · CPU-s (graph / XLA) | peak RSS (graph / XLA) |", "|---|---|---|---|---|---|---|---|"]
        for p in _preset_order(train):
            for policy in ("float32", "mixed_bfloat16"):
                modes = (train.get(p) or {}).get(policy)
                if not modes:
                    continue
                g, x = modes.get("graph") or {}, modes.get("xla") or {}
                ref = g if not _status(g) and g else x

                def rate(e):
                    if _status(e) or not e:
                        return _status(e) or "—"
                    return (f"**{_f(e.get('examples_s'))}** ex/s ({_f(e.get('step_s'))} s/step"
                            + (f", CPU {_f(e.get('cpu_s'))} s" if e.get("cpu_s") else "") + ")")

                def eff(e):
                    if not e.get("efficiency_estimate"):
                        return "—"
                    cpu = e.get("efficiency_cpu_estimate")
                    return percent(e.get("efficiency_estimate")) + (f" · {percent(cpu)}" if cpu is not None else "")

                shape = (f"{ref.get('micro_batch')} × {ref.get('accumulation_steps')} × {ref.get('d_steps')}"
                         if ref.get("micro_batch") else "—")
                name = (ref.get("preset") or p.split(" ")[0]) + _set(ref)
                lines.append(f"| {name} | {shape} | {policy} | {rate(g)} | {rate(x)} | "
                             f"{_f(g.get('startup_s'))} / {_f(x.get('startup_s'))} s | {eff(g)} / {eff(x)} | "
                             f"{_f(g.get('peak_rss_mb'), unit=' MB')} / {_f(x.get('peak_rss_mb'), unit=' MB')} |")
        lines.append("")
    lines += _preset_table(
        results, "pipeline",
        "**Data path** (`synth-data` and `prepare` clips/s; `gan_dataset` and `trn_dataset` examples/s, training "
        "mode, batches of `train.batch_size` / `trn.batch_size`):",
        ["preset", "synth-data clips/s", "prepare clips/s", "GAN examples/s (with frames)", "without frames",
         "TRN examples/s", "training consumes (best)", "pipeline ÷ training", "peak RSS"],
        lambda e: [_f(e.get("synth_clips_s")), _f(e.get("prepare_clips_s")), _f(e.get("examples_s")),
                   _f(e.get("without_frames", {}).get("examples_s")), _f((e.get("trn") or {}).get("examples_s")),
                   _f(e.get("train_consumes_examples_s")), _f(e.get("pipeline_over_training"), unit="×"),
                   _f(e.get("peak_rss_mb"), unit=" MB")])
    lines += _preset_table(
        results, "memory",
        "**Training memory per micro-batch** (graph-derived estimate of what a GPU needs — variables, gradients "
        "and the tensors the backward pass keeps; a lower bound, not a measurement):",
        ["preset", "policy", "state", "saved per example (D / G update)", "estimated peak by micro-batch",
         "largest micro-batch that fits"], _memory_row)
    gen = results.get("generate") or {}
    if gen:
        if _status(gen):
            lines += [f"**`foleygan generate`:** {_status(gen)}", ""]
        else:
            lines += ["**End to end** (`foleygan generate`, 10 s video, 24 fps, default models):", "",
                      "| fresh process (cold) | load both SavedModels | first call in a process | warm (same process) "
                      "| windows | peak RSS |", "|---|---|---|---|---|---|",
                      f"| **{_f(gen.get('cold_s'))} s** | {_f(gen.get('load_models_s'))} s | "
                      f"{_f(gen.get('first_generate_s'))} s | {_f(gen.get('warm_s'))} s | {gen.get('windows')} | "
                      f"{_f(gen.get('peak_rss_mb'), unit=' MB')} |", ""]
    profiles = [(f"generator `{p}` batch-1 forward ({e['profile'].get('dtype')})", e["profile"])
                for p, e in gens.items() if isinstance(e.get("profile"), dict) and e["profile"].get("op_types")]
    if isinstance(codec.get("profile"), dict) and codec["profile"].get("op_types"):
        profiles.append((f"codec `stft` round trip ({codec.get('preset')}, batch {codec.get('batch')})", codec["profile"]))
    if profiles:
        lines += ["**Profiles** (`tf.profiler`, op time summed over the executor threads; top op types):", ""]
        for title, prof in profiles:
            lines += [f"{title} — {prof.get('total_op_ms')} ms of op time on {prof.get('threads')} threads:", "",
                      "| op type | ms | share | count |", "|---|---|---|---|"]
            lines += [f"| `{t}` | {_f(ms)} | {percent(share)} | {n} |" for t, ms, share, n in prof["op_types"]]
            lines.append("")
    if results.get("flops") or results.get("codec") or gens:
        lines += ["**Anchors** (assumptions in the next section; GPU columns are estimates, not measurements):", ""]
        lines += anchor_rows(results)
        lines.append("")
    bad = [t for t in results.get("tasks", []) if t.get("status") != "ok"]
    if bad:
        lines += ["Not measured in this run: " + "; ".join(f"`{t['task']}` — {t['status']}" for t in bad), ""]
    return "\n".join(lines).rstrip() + "\n"


def update_readme(path: str, results: dict, source: str | None = None) -> None:
    """Replace the text between the markers of ``path`` (appended at the end when absent)."""
    text = open(path).read() if os.path.exists(path) else ""
    block = f"{BEGIN}\n{render(results, source)}{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    write_text(path, text)


def summary(results: dict, path: str) -> str:
    """What ``foleygan bench`` prints at the end: the file, the task counts and the targets."""
    failed = [t for t in results["tasks"] if t["status"] != "ok"]
    lines = [f"wrote {path} ({len(results['tasks'])} tasks, {len(failed)} not measured, {results['wall_s']} s)"]
    lines += [f"  {'met   ' if t['met'] else 'MISSED'} {t['name']}: {t['measured']} (target {t['target']})"
              for t in results.get("targets", [])]
    return "\n".join(lines)


def rerender(results_path: str, readme: str | None = None, rederive: bool = False) -> str:
    """``foleygan bench --render``: the README section (or, without ``readme``, the Markdown text)
    of an existing results file, optionally recomputing its efficiencies and targets first."""
    with open(results_path) as f:
        results = json.load(f)
    if rederive:
        from foleygan_tf.benchmarking.runner import derive

        derive(results)
        write_json(results_path, results, indent=2)
    if readme:
        update_readme(readme, results, os.path.relpath(results_path, os.path.dirname(os.path.abspath(readme))))
        return f"rewrote the results section of {readme} from {results_path}"
    return render(results, results_path)
