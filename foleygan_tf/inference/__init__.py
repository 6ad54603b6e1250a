"""Inference: SavedModel exports of the trained blocks (and, later, the FoleyPipeline).
Names are imported lazily (they import TensorFlow)."""

import importlib

_EXPORTS = {
    "export_trn": "trn_export", "TRNServingModule": "trn_export", "TRN_METADATA_NAME": "trn_export",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'foleygan_tf.inference' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"foleygan_tf.inference.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
