"""Training: the FoleyGAN keras.Model (custom train_step with gradient accumulation), the TRN
trainer, callbacks and run directories. Names are imported lazily (they import TensorFlow)."""

import importlib

_EXPORTS = {
    "FoleyGAN": "gan", "hinge_d_loss": "gan", "hinge_g_loss": "gan", "accumulate_gradients": "gan",
    "fit_gan": "fit_gan", "build_gan": "fit_gan", "global_batch_size": "fit_gan", "make_strategy": "fit_gan",
    "fit_trn": "trn", "load_trn": "trn",
    "RunDir": "run_dir",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'foleygan_tf.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"foleygan_tf.training.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
