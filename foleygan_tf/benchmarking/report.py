"""Markdown tables from a ``foleygan bench`` JSON document, written between the
``<!-- bench:results:begin -->`` / ``<!-- bench:results:end -->`` markers of a README.

    python -m foleygan_tf.benchmarking.report RESULTS.json [--readme benchmarks/README.md]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

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


def _pct(x):
    return "—" if x is None else f"{100 * x:.0f} %"


def _runs(results):
    runs = results.get("runs") or [{"started_at": results.get("started_at"), "wall_s": results.get("wall_s"),
                                    "load_average_start": results.get("load_average_start"),
                                    "load_average_end": results.get("load_average_end")}]
    parts = [f"run {k + 1} ({'filling gaps, ' if r.get('fill') else ''}{r.get('started_at')}, {r.get('wall_s')} s): "
             f"**load average {r.get('load_average_start')} at the start, {r.get('load_average_end')} at the end**"
             for k, r in enumerate(runs)]
    return "; ".join(parts) + "."


def _status(entry):
    status = (entry or {}).get("status")
    return None if status in (None, "ok") else status


# Anchors (benchmarks/README.md, "Anchors and estimates"): published figures we compare against.
PAPER_TRAIN_EXAMPLES_S = 12_000 * 2048 / (8 * 86_400)   # one V100, 12k iterations × 2048 in 8 days
MMAUDIO_SECONDS_PER_8S = 1.23                             # MMAudio, 8 s clip, one GPU
V100_FP16_TENSOR_TFLOPS = 125.0                           # NVIDIA V100 SXM2 dense fp16 tensor-core peak
V100_FP32_TFLOPS = 15.7
ASSUMED_GPU_UTILISATION = 0.30                            # assumption for the estimates below


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
    flops = results.get("flops") or {}
    if flops:
        lines += ["**FLOPs per example** (analytic, forward; train step = estimate with backward ≈ 2× forward):", "",
                  "| preset | G GFLOP | D GFLOP | MTRN GFLOP | 2-frame TRN GFLOP | train step GFLOP/example |",
                  "|---|---|---|---|---|---|"]
        for p in ("tiny", "small", "paper"):
            if p in flops and not _status(flops[p]):
                e = flops[p]
                lines.append(f"| {p} | {_f(e.get('generator_gflops'))} | {_f(e.get('discriminator_gflops'))} | "
                             f"{_f(e.get('mtrn_gflops'))} | {_f(e.get('pair_trn_gflops'))} | "
                             f"{_f(e.get('train_step_gflops_per_example_estimate'))} |")
        lines.append("")
    codec = results.get("codec") or {}
    if codec:
        if _status(codec):
            lines += [f"**Codec:** {_status(codec)}", ""]
        else:
            s = codec["settings"]
            lines += [f"**Codec** ({codec['preset']} settings: {s['sample_rate']} Hz, {s['clip_seconds']} s clips, "
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
    if gens:
        lines += ["**Generator inference** (per 3 s clip; G forward, wall time with the CPU seconds of the call; "
                  "efficiency = FLOPs per CPU-second ÷ the same dtype's peak per CPU-second, and the wall-clock ratio, "
                  "which the moving load of a shared machine makes unreliable):", "",
                  "| preset | GFLOP/clip | batch 1 float32 | batch 1 bfloat16 | best: `latency_s_batch1` | "
                  "real-time × | efficiency (CPU-s · wall) | G + decode (serving) | `throughput_clips_s_batch16` | "
                  "bf16 vs f32 (image SNR / wave SNR / spectral conv.) | XLA batch 1 | peak RSS |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for p in ("default", "tiny", "small", "paper"):
            if p not in gens:
                continue
            e = gens[p]
            if _status(e):
                lines.append(f"| {p} | {_status(e)} |" + " |" * 11)
                continue
            bd = e.get("by_dtype", {})
            q = e.get("bf16_quality") or {}
            xla = e.get("xla") or {}
            if _status(xla):
                xs = _status(xla)
            else:
                xs = ", ".join(f"{d}: {_f(v.get('latency_s_batch1'))} s (compile+first {_f(v.get('compile_and_first_call_s'))} s)"
                               for d, v in xla.items() if isinstance(v, dict) and "latency_s_batch1" in v) or "—"
            name = f"default (bundled, {e.get('preset', '?')})" if p == "default" else p
            lines.append(
                f"| {name} | {_f(e.get('gflops_per_clip'))} | "
                f"{_f(bd.get('float32', {}).get('latency_s_batch1'))} s (CPU {_f(bd.get('float32', {}).get('cpu_s'))} s) | "
                f"{_f(bd.get('bfloat16', {}).get('latency_s_batch1'))} s (CPU {_f(bd.get('bfloat16', {}).get('cpu_s'))} s) | "
                f"**{_f(e.get('latency_s_batch1'))} s** {e.get('dtype')} | "
                f"{_f(e.get('real_time_factor_batch1'))} | "
                f"{_pct(bd.get(e.get('dtype'), {}).get('efficiency_cpu_time'))} · {_pct(e.get('efficiency'))} | "
                f"{_f(e.get('serving_latency_s_batch1'))} s | "
                f"{_f(e.get('throughput_clips_s_batch16'))} clips/s | "
                f"{_f(q.get('image_snr_db'))} dB / {_f(q.get('waveform_snr_db'))} dB / {_f(q.get('spectral_convergence'))} | "
                f"{xs} | {_f(e.get('peak_rss_mb'), unit=' MB')} |")
        lines.append("")
    train = results.get("train") or {}
    if train:
        lines += ["**Training** (`FoleyGAN.train_step` on in-memory batches; examples/s = examples consumed per "
                  "step ÷ best step time; a step = `d_steps` D updates + 1 G update):", "",
                  "| preset | micro-batch × accum. × d_steps | policy | graph (no XLA) | XLA | first step (graph / XLA) "
                  "| efficiency (estimate) | peak RSS (graph / XLA) |", "|---|---|---|---|---|---|---|---|"]
        for p in ("tiny", "small", "paper"):
            for policy in ("float32", "mixed_bfloat16"):
                modes = (train.get(p) or {}).get(policy)
                if not modes:
                    continue
                g, x = modes.get("graph") or {}, modes.get("xla") or {}
                ref = g if not _status(g) and g else x

                def rate(e):
                    return _status(e) or ("—" if not e else f"**{_f(e.get('examples_s'))}** ex/s ({_f(e.get('step_s'))} s/step)")

                shape = (f"{ref.get('micro_batch')} × {ref.get('accumulation_steps')} × {ref.get('d_steps')}"
                         if ref.get("micro_batch") else "—")
                lines.append(f"| {p} | {shape} | {policy} | {rate(g)} | {rate(x)} | "
                             f"{_f(g.get('first_step_s'))} / {_f(x.get('first_step_s'))} s | "
                             f"{_pct(ref.get('efficiency_estimate'))} | "
                             f"{_f(g.get('peak_rss_mb'), unit=' MB')} / {_f(x.get('peak_rss_mb'), unit=' MB')} |")
        lines.append("")
    pipe = results.get("pipeline") or {}
    if pipe:
        lines += ["**Input pipeline** (`gan_dataset`, training mode, batches of `train.batch_size`):", "",
                  "| preset | examples/s (with frames) | without frames | training consumes (best) | "
                  "pipeline ÷ training | peak RSS |", "|---|---|---|---|---|---|"]
        for p, e in pipe.items():
            if _status(e):
                lines.append(f"| {p} | {_status(e)} | | | | |")
                continue
            lines.append(f"| {p} | {_f(e.get('examples_s'))} | {_f(e.get('without_frames', {}).get('examples_s'))} | "
                         f"{_f(e.get('train_consumes_examples_s'))} | {_f(e.get('pipeline_over_training'))}× | "
                         f"{_f(e.get('peak_rss_mb'), unit=' MB')} |")
        lines.append("")
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
            lines += [f"| `{t}` | {_f(ms)} | {_pct(share)} | {n} |" for t, ms, share, n in prof["op_types"]]
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
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--readme", default=None)
    ap.add_argument("--rederive", action="store_true",
                    help="recompute efficiencies and targets (runner.derive) and rewrite RESULTS.json")
    a = ap.parse_args(argv)
    with open(a.results) as f:
        results = json.load(f)
    if a.rederive:
        from foleygan_tf.benchmarking.common import write_json_atomic
        from foleygan_tf.benchmarking.runner import derive

        derive(results)
        write_json_atomic(a.results, results)
    if a.readme:
        update_readme(a.readme, results, os.path.relpath(a.results, os.path.dirname(os.path.abspath(a.readme))))
    else:
        sys.stdout.write(render(results, a.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
