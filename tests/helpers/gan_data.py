"""Deterministic in-memory GAN batches (no shuffling: a resumed run sees the same batches)."""

import numpy as np


def gan_examples(cfg, n=64, seed=0):
    r = cfg.audio.image_size
    rng = np.random.default_rng(seed)
    return {
        "image": rng.uniform(-1, 1, (n, r, r, 3)).astype("float32"),
        "class": rng.integers(0, cfg.num_classes, n).astype("int32"),
        "action_spectrogram": rng.uniform(-1, 1, (n, r, r, 3)).astype("float32"),
        "action_curve": rng.uniform(0, 1, (n, r)).astype("float32"),
    }


def gan_dataset(cfg, n=64, seed=0):
    import tensorflow as tf

    from foleygan_tf.training.fit_gan import global_batch_size

    return tf.data.Dataset.from_tensor_slices(gan_examples(cfg, n, seed)).repeat().batch(
        global_batch_size(cfg), drop_remainder=True)
