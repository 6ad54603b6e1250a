"""End to end: ``foleygan generate`` wall time for a 10 s video with the bundled default models.

A 10 s, 24 fps, 96 px synthetic clip (the ``chopping`` scene of ``synth-data``, its own sound
track dropped by the pipeline) is written once; then ``foleygan generate VIDEO -o OUT.mp4
--quiet`` runs as a fresh process (``cold_s``: what a user waits — Python + TensorFlow import,
loading both SavedModels, tracing, windows, mux), and ``FoleyPipeline.generate`` is timed warm in
this process (models loaded and traced: the per-video cost of a long-running server). For the
breakdown: a fresh ``python -c "import tensorflow"`` (the floor of any cold start), the time to
load both SavedModels, and the CPU seconds of the cold process (less inflated by other jobs than
its wall time).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

from foleygan_tf.benchmarking.common import time_calls


def make_video(path: str, seconds: float = 10.0, fps: int = 24, size: int = 96) -> None:
    from foleygan_tf.data.synth import ClipSpec, render_clip, write_mp4

    spec = ClipSpec(out_dir=os.path.dirname(path), cls="chopping", index=0, seed=0, seconds=seconds,
                    fps=Fraction(fps), size=size)
    clip = render_clip(spec)
    frames, wave = clip.frames, clip.wave
    write_mp4(path, frames, Fraction(fps), wave)


def run(preset: str = "default", *, seconds: float = 10.0, models: str | None = None, repeats: int = 3) -> dict:
    from foleygan_tf.inference.exports import DEFAULT_MODELS
    from foleygan_tf.inference import FoleyPipeline

    models = models or DEFAULT_MODELS
    root = tempfile.mkdtemp(prefix="foleygan_bench_generate_")
    try:
        video = os.path.join(root, "clip10s.mp4")
        make_video(video, seconds)
        exe = os.path.join(os.path.dirname(sys.executable), "foleygan")
        cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "foleygan_tf.cli"]
        import resource

        def child_cpu():
            r = resource.getrusage(resource.RUSAGE_CHILDREN)
            return r.ru_utime + r.ru_stime

        # the floor of any fresh process: importing TensorFlow
        c0, t0 = child_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True, check=True)
        import_s, import_cpu = time.perf_counter() - t0, child_cpu() - c0
        c0, t0 = child_cpu(), time.perf_counter()
        proc = subprocess.run(cmd + ["generate", video, "-o", os.path.join(root, "out.mp4"), "--models", models,
                                     "--quiet"], capture_output=True, text=True)
        cold, cold_cpu = time.perf_counter() - t0, child_cpu() - c0
        if proc.returncode != 0:
            raise RuntimeError(f"foleygan generate failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
        t0 = time.perf_counter()
        pipe = FoleyPipeline.from_saved_models(models)
        load_s = time.perf_counter() - t0
        out = os.path.join(root, "warm.mp4")
        result = {}

        def once():
            result.update(pipe.generate(video, out))

        t = time_calls(once, repeats=repeats, warmup=1)
        return {"models": models, "video_seconds": seconds, "fps": 24, "video_px": 96,
                "cold_s": round(cold, 3), "cold_cpu_s": round(cold_cpu, 3),
                "import_tensorflow_s": round(import_s, 3), "import_tensorflow_cpu_s": round(import_cpu, 3),
                "load_models_s": round(load_s, 3),
                "first_generate_s": t["first_s"], "warm_s": t["best_s"], "warm_runs_s": t["runs_s"],
                "windows": result.get("windows"), "class_name": result.get("class_name"),
                "real_time_factor_cold": round(seconds / cold, 2),
                "real_time_factor_warm": round(seconds / t["best_s"], 2)}
    finally:
        shutil.rmtree(root, ignore_errors=True)
