"""Summaries of a GAN run directory: loss-gap trend, EMA-sample audio checks, TensorBoard tags."""

from __future__ import annotations

import glob
import json
import os

import numpy as np


def loss_gap(history: list[dict], window: int = 10) -> dict:
    """Mean |d_loss − g_loss| over the first and the last ``window`` adversarial records."""
    records = [r for r in history if "g_loss" in r]
    if len(records) < 2 * window:
        window = max(1, len(records) // 2)
    gap = [abs(r["d_loss"] - r["g_loss"]) for r in records]
    return {"start": float(np.mean(gap[:window])), "end": float(np.mean(gap[-window:])),
            "records": len(records), "window": window}


def tensorboard_tags(run_dir: str) -> dict:
    """``{tag: count}`` of the summaries in ``run_dir/tensorboard``."""
    import tensorflow as tf

    counts: dict[str, int] = {}
    for path in glob.glob(os.path.join(run_dir, "tensorboard", "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                counts[value.tag] = counts.get(value.tag, 0) + 1
    return counts


def ema_sample_checks(run_dir: str, conditions: dict, seed: int = 0) -> list[dict]:
    """Decode EMA-generator samples for ``conditions`` (a GAN batch) and describe their audio."""
    import tensorflow as tf

    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.config import Config
    from foleygan_tf.evaluation.audio_checks import describe_audio
    from foleygan_tf.models import sample_z
    from foleygan_tf.training.fit_gan import build_gan

    config = Config.load(os.path.join(run_dir, "config.json"))
    gan = build_gan(config)
    checkpoint = gan.checkpoint()
    checkpoint.restore(tf.train.latest_checkpoint(os.path.join(run_dir, "checkpoints"))).expect_partial()
    n = int(np.shape(conditions["class"])[0])
    z = tf.constant(sample_z(n, config.gan.z_dim, config.gan.truncation, seed=seed))
    images = gan.ema_generator(gan._g_inputs(conditions, z), training=False)
    waves = SpectrogramCodec(config.audio).decode(images).numpy()
    return [describe_audio(w) for w in waves]


def read_history(run_dir: str) -> list[dict]:
    with open(os.path.join(run_dir, "history.json")) as f:
        return json.load(f)
