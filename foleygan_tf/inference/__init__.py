"""Inference: SavedModel exports of the trained blocks and the FoleyPipeline (video → Foley).
Names are imported lazily (they import TensorFlow)."""

from foleygan_tf._lazy import lazy_exports

_EXPORTS = {
    "export_trn": "trn_export", "TRNServingModule": "trn_export", "TRN_METADATA_NAME": "trn_export",
    "export_generator": "generator_export", "GeneratorServingModule": "generator_export",
    "GENERATOR_METADATA_NAME": "generator_export", "load_generator_from_run": "generator_export",
    "FoleyPipeline": "pipeline", "plan_windows": "pipeline", "crossfade_weights": "pipeline",
    "lowpass_taps": "postfilter", "apply_fir": "postfilter", "normalize_loudness": "postfilter",
    "mux_audio": "mux", "probe_video": "mux",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
