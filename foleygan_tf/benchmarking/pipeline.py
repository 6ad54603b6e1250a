"""Data path: clips/s of ``synth-data`` and ``prepare``, and examples/s of the GAN ``tf.data``
pipeline (``gan_dataset``) — to set against the examples/s the ``train_step`` consumes
(:mod:`.train`) at the same preset — and of the TRN pipeline (``trn_dataset``).

A small synthetic dataset (``synth-data``: ``clips_per_class`` clips of 3 s per class, 24 fps) is
prepared at the preset into TFRecord shards, both timed (``synth_clips_s``, ``prepare_clips_s``;
``workers`` processes). Then ``gan_dataset(shards, "train", cfg, training=True)`` — shuffling,
parallel JPEG decoding of the frames, ``SpectrogramCodec.encode`` in the graph, batches of
``train.batch_size`` — is iterated after a warm-up, with and without the frames, and
``trn_dataset`` (frames and labels, batches of ``trn.batch_size``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from foleygan_tf.benchmarking.common import task_config


def _rate(ds, batches: int, warmup: int = 3) -> dict:
    it = iter(ds)
    for _ in range(warmup):
        next(it)
    n = 0
    t0 = time.perf_counter()
    for _ in range(batches):
        b = next(it)
        n += int((b["spectrogram"] if isinstance(b, dict) else b[0]).shape[0])
    seconds = time.perf_counter() - t0
    return {"examples_s": round(n / seconds, 1), "examples": n, "seconds": round(seconds, 3)}


def run(preset: str = "small", *, clips_per_class: int = 2, size: int = 64, batches: int = 20, workers: int = 1,
        work: str | None = None, overrides=()) -> dict:
    from foleygan_tf.data import gan_dataset, trn_dataset
    from foleygan_tf.data.prepare import prepare_dataset
    from foleygan_tf.data.synth import synthesize_dataset

    cfg = task_config(preset, overrides)
    root = work or tempfile.mkdtemp(prefix="foleygan_bench_pipeline_")
    try:
        src, shards = os.path.join(root, "src"), os.path.join(root, "shards")
        t0 = time.perf_counter()
        clips = synthesize_dataset(src, clips_per_class, seconds=3.0, fps=24, size=size, seed=0, workers=workers,
                                   progress=False)
        synth_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        manifest = prepare_dataset(src, shards, cfg, shard_size=8, workers=workers, progress=False)
        prep_s = time.perf_counter() - t0
        with_frames = _rate(gan_dataset(shards, "train", cfg, training=True), batches)
        without = _rate(gan_dataset(shards, "train", cfg, training=True, include_frames=False), batches)
        trn = _rate(trn_dataset(shards, "train", cfg, training=True), max(3, batches // 3))
        return {
            "preset": cfg.name, "batch_size": cfg.train.batch_size, "image_size": cfg.audio.image_size,
            "encoding": cfg.audio.encoding, "clips": len(clips),
            "train_windows": manifest["splits"]["train"]["examples"],
            "synth_clips_s": round(len(clips) / synth_s, 2), "prepare_clips_s": round(len(clips) / prep_s, 2),
            "examples_s": with_frames["examples_s"], "with_frames": with_frames,
            "without_frames": without, "workers": workers,
            "trn": {"batch_size": cfg.trn.batch_size, **trn},
        }
    finally:
        if work is None:
            shutil.rmtree(root, ignore_errors=True)
