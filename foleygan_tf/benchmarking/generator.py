"""Generator inference: latency per 3 s clip (batch 1), throughput (batch 16), real-time factor.

Per preset (``default`` = the bundled ``saved_models/default/generator`` at its own preset,
trained weights; any config preset = its G, with the run's ``--set`` overrides, with random
weights — the cost does not depend on the values):

* G forward (``tf.function``, ``training=False``, spectral norm frozen as in the export —
  ``generator_export.freeze_spectral_norm``) at batch 1 in float32 and in bfloat16 (Keras
  ``mixed_bfloat16`` — what ``foleygan export generator --dtype bfloat16`` exports); best of N.
  ``latency_s_batch1`` is the best dtype's, named in ``dtype``;
* ``throughput_clips_s_batch16``: a batch of 16 in that dtype (best of 2 after a warm-up call);
* ``serving_latency_s_batch1``: the whole exported signature — G + decode (mel un-warp, Griffin-Lim
  refinement, ISTFT) + post-filter — in that dtype;
* ``bf16_quality``: bf16 vs float32 on the same weights and inputs — SNR of the spectrogram image,
  SNR of the decoded waveform and spectral convergence of its STFT magnitude;
* ``profile`` (small and paper): ``tf.profiler`` op breakdown of one batch-1 forward in the best
  dtype (:mod:`.profile`);
* with ``xla=True`` (a separate task, bounded by a time limit): the same forward with
  ``jit_compile=True`` — compile time and latency.
"""

from __future__ import annotations

import os

import numpy as np

from foleygan_tf.benchmarking.common import generator_inputs, random_generator, task_config, time_calls
from foleygan_tf.inference.exports import DEFAULT_MODELS

DTYPE_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}


def _snr(ref, est) -> float:
    ref, est = np.asarray(ref, np.float64), np.asarray(est, np.float64)
    noise = np.sum((ref - est) ** 2)
    return float("inf") if noise == 0 else round(float(10 * np.log10(np.sum(ref ** 2) / noise)), 2)


def quality(codec, reference: dict, other: dict) -> dict:
    """bf16-vs-f32 numbers from two serving outputs ``{"spectrogram", "waveform"}``."""
    import tensorflow as tf

    from foleygan_tf.audio.quality import spectral_convergence

    mags = [np.abs(codec.stft(tf.constant(np.asarray(o["waveform"], np.float32))).numpy())
            for o in (reference, other)]
    return {"image_snr_db": _snr(reference["spectrogram"], other["spectrogram"]),
            "image_max_abs_diff": round(float(np.max(np.abs(np.asarray(reference["spectrogram"])
                                                            - np.asarray(other["spectrogram"])))), 5),
            "waveform_snr_db": _snr(reference["waveform"], other["waveform"]),
            "spectral_convergence": round(spectral_convergence(*mags), 5)}


def _generator_pair(preset: str, overrides=()):
    """(config, {"float32": G, "bfloat16": G}) with identical weights, plus a source label."""
    if preset == "default":
        from foleygan_tf.inference.generator_export import load_generator_from_saved_model

        gdir = os.path.join(DEFAULT_MODELS, "generator")
        g32, config, _ = load_generator_from_saved_model(gdir, "float32")
        g16, _, _ = load_generator_from_saved_model(gdir, "bfloat16")
        return config, {"float32": g32, "bfloat16": g16}, f"trained weights ({gdir}, {config.name} preset)"
    config = task_config(preset, overrides)
    g32 = random_generator(config, "float32")
    g16 = random_generator(config, "mixed_bfloat16")
    for dst, src in zip(g16.variables, g32.variables):
        dst.assign(src)
    return config, {"float32": g32, "bfloat16": g16}, "random weights"


def _forward(generator, config, jit: bool = False):
    """G's forward as a blocking call; batch dimension unknown (as in the SavedModel), so batch 1
    and batch 16 share one traced graph (the batch-16 timing includes no tracing)."""
    import tensorflow as tf

    r = config.audio.image_size
    spec = {"z": tf.TensorSpec([None, config.gan.z_dim], tf.float32),
            "class": tf.TensorSpec([None, config.num_classes], tf.float32),
            "action_spectrogram": tf.TensorSpec([None, r, r, 3], tf.float32),
            "action_curve": tf.TensorSpec([None, r], tf.float32)}
    def forward(x):
        return generator(x, training=False)

    f = tf.function(forward, jit_compile=jit, input_signature=[spec], autograph=False)
    return lambda x: f(x).numpy()


def run(preset: str = "paper", *, repeats: int = 3, batch16: bool = True, xla: bool = False,
        dtypes=("float32", "bfloat16"), profile: bool | None = None, overrides=()) -> dict:
    from foleygan_tf.inference.generator_export import GeneratorServingModule, freeze_spectral_norm
    from foleygan_tf.models.flops import generator_flops

    config, gens, source = _generator_pair(preset, overrides)
    for g in gens.values():  # as exported: W/σ computed once, not per call
        freeze_spectral_norm(g)
    gflops = generator_flops(gens["float32"]) / 1e9
    clip_s = float(config.audio.clip_seconds)
    x1 = generator_inputs(config, 1)
    out = {"preset": config.name, "weights": source, "image_size": config.audio.image_size,
           "ch": config.gan.ch, "clip_seconds": clip_s, "gflops_per_clip": round(gflops, 3), "by_dtype": {}}
    if xla:
        out["xla"] = {}
        for dtype in dtypes:
            f = _forward(gens[dtype], config, jit=True)
            t = time_calls(lambda: f(x1), repeats=repeats, warmup=1)
            out["xla"][dtype] = {"latency_s_batch1": t["best_s"], "compile_and_first_call_s": t["first_s"],
                                 "cpu_s": t["cpu_s"],
                                 "runs_s": t["runs_s"], "achieved_gflops_s": round(gflops / t["best_s"], 1)}
        return out
    forwards = {}
    for dtype in dtypes:
        f = forwards[dtype] = _forward(gens[dtype], config)
        t = time_calls(lambda: f(x1), repeats=repeats, warmup=1)
        out["by_dtype"][dtype] = {"latency_s_batch1": t["best_s"], "median_s": t["median_s"], "runs_s": t["runs_s"],
                                  "first_call_s": t["first_s"], "achieved_gflops_s": round(gflops / t["best_s"], 1),
                                  "cpu_s": t["cpu_s"],
                                  # what an idle machine would take if all the CPU time ran in parallel
                                  "idle_machine_estimate_s": round(t["cpu_s"] / (os.cpu_count() or 1), 4)}
    best = min(out["by_dtype"], key=lambda d: out["by_dtype"][d]["latency_s_batch1"])
    out["dtype"] = best
    out["latency_s_batch1"] = out["by_dtype"][best]["latency_s_batch1"]
    out["real_time_factor_batch1"] = round(clip_s / out["latency_s_batch1"], 2)
    out["achieved_gflops_s"] = out["by_dtype"][best]["achieved_gflops_s"]
    if profile if profile is not None else config.name in ("small", "paper"):
        from foleygan_tf.benchmarking.profile import op_breakdown

        out["profile"] = {"dtype": best, **op_breakdown(lambda: forwards[best](x1))}
    # the exported signature (G + decode + ISTFT + post-filter) and the bf16 output quality
    served = {}
    for dtype in dtypes:
        module = GeneratorServingModule(gens[dtype], config)
        args = (x1["z"], x1["class"], x1["action_spectrogram"], x1["action_curve"])
        served[dtype] = {k: v.numpy() for k, v in module.serve(*args).items()}
        if dtype == best:
            t = time_calls(lambda: module.serve(*args)["waveform"].numpy(), repeats=repeats, warmup=0)
            out["serving_latency_s_batch1"] = t["best_s"]
            out["serving_runs_s"] = t["runs_s"]
            codec = module.codec
    if "float32" in served and "bfloat16" in served:
        out["bf16_quality"] = quality(codec, served["float32"], served["bfloat16"])
    if batch16:
        f = forwards[best]
        x16 = generator_inputs(config, 16, seed=1)
        # a warm-up call first, as for batch 1: the first call at a new batch size creates its oneDNN
        # kernels and allocates its buffers (the graph is shared, nothing is traced)
        t = time_calls(lambda: f(x16), repeats=2, warmup=1)
        out["throughput_clips_s_batch16"] = round(16 / t["best_s"], 3)
        out["batch16_s"] = t["best_s"]
        out["batch16_cpu_s"] = t["cpu_s"]
        out["batch16_first_call_s"] = t["first_s"]
        out["throughput_dtype"] = best
        out["real_time_factor_batch16"] = round(16 * clip_s / t["best_s"], 2)
    return out
