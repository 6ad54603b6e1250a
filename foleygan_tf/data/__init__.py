"""Datasets: the synchronised synthetic Foley dataset, TFRecord shards, tf.data pipelines.

Submodules are imported lazily so that ``foleygan_tf.data.synth`` (used by worker processes)
never pulls in TensorFlow: ``from foleygan_tf.data import gan_dataset`` works as usual.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "synthesize_dataset": "foleygan_tf.data.synth",
    "SoundBank": "foleygan_tf.data.soundbank",
    "prepare_dataset": "foleygan_tf.data.prepare",
    "split_of": "foleygan_tf.data.prepare",
    "read_manifest": "foleygan_tf.data.pipeline",
    "shard_files": "foleygan_tf.data.pipeline",
    "parse_example": "foleygan_tf.data.pipeline",
    "example_dataset": "foleygan_tf.data.pipeline",
    "trn_dataset": "foleygan_tf.data.pipeline",
    "gan_dataset": "foleygan_tf.data.pipeline",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'foleygan_tf.data' has no attribute {name!r}")
