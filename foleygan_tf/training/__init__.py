"""Training: the FoleyGAN keras.Model (custom train_step with gradient accumulation), the TRN
trainer, callbacks and run directories. Names are imported lazily (they import TensorFlow)."""

from foleygan_tf._lazy import lazy_exports

_EXPORTS = {
    "FoleyGAN": "gan", "hinge_d_loss": "gan", "hinge_g_loss": "gan", "accumulate_gradients": "gan",
    "fit_gan": "fit_gan", "build_gan": "fit_gan", "global_batch_size": "fit_gan", "make_strategy": "fit_gan",
    "fit_trn": "trn", "load_trn": "trn",
    "RunDir": "run_dir",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
