"""``export_models``: trained run directories → the exported models folder that ``foleygan
generate --models`` and ``FoleyPipeline.from_saved_models`` read (``OUT/trn``, ``OUT/generator``);
``saved_model_metadata``: the metadata asset of one loaded export."""

from __future__ import annotations

import json
import os

__all__ = ["run_kind", "export_models", "require_exported", "saved_model_metadata", "DEFAULT_MODELS",
           "EXPORTED_PARTS", "REPO_ROOT"]

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: the bundled default models (``make default-models``)
DEFAULT_MODELS = os.path.join(REPO_ROOT, "saved_models", "default")
#: the SavedModels of an exported models folder
EXPORTED_PARTS = ("trn", "generator")


def require_exported(models_dir: str) -> None:
    """One-line ``ValueError`` unless ``models_dir`` holds the ``trn`` and ``generator`` SavedModels."""
    for part in EXPORTED_PARTS:
        if not os.path.isfile(os.path.join(models_dir, part, "saved_model.pb")):
            raise ValueError(f"{os.path.join(models_dir, part)}: no SavedModel — {models_dir} must hold trn/ and "
                             "generator/ (`foleygan export TRN_RUN GAN_RUN DIR`)")


def saved_model_metadata(loaded, path) -> dict:
    """The metadata dict ``foleygan export`` wrote beside the graph (``assets/foleygan_trn.json``
    or ``assets/foleygan_generator.json``) of ``loaded = tf.saved_model.load(path)``; ``path`` only
    names the SavedModel in the error. Raises a one-line ``ValueError`` naming ``path`` when
    ``loaded`` has no metadata asset (a SavedModel not written by ``foleygan export``)."""
    asset = getattr(loaded, "metadata_file", None)
    if asset is None:
        raise ValueError(f"{path}: not a foleygan export (no metadata asset)")
    with open(asset.asset_path.numpy().decode()) as f:
        return json.load(f)


def run_kind(run_dir) -> str | None:
    """``"trn"`` for a ``foleygan train trn`` run (config.json + trn.weights.h5), ``"generator"``
    for a ``foleygan train gan`` run (config.json + checkpoints/), else ``None``."""
    if os.path.isfile(os.path.join(run_dir, "config.json")):
        if os.path.isfile(os.path.join(run_dir, "trn.weights.h5")):
            return "trn"
        if os.path.isfile(os.path.join(run_dir, "checkpoints", "checkpoint")):
            return "generator"
    return None


def export_models(run_dirs, out_dir: str, *, verify: bool = True, pact_gain: float | None = None,
                  **generator_options) -> dict:
    """Export one TRN run and/or one GAN run into ``out_dir/trn`` and ``out_dir/generator``
    (``pact_gain``: that of ``trn_export.export_trn``; ``generator_options``: those of
    ``generator_export.export_generator``). Returns
    ``{"trn": metadata, "generator": metadata}`` for what was exported."""
    from foleygan_tf.inference.generator_export import export_generator
    from foleygan_tf.inference.trn_export import export_trn

    kinds = {}
    for run in run_dirs:
        kind = run_kind(run)
        if kind is None:
            raise ValueError(f"{run}: neither a `foleygan train trn` run (config.json + trn.weights.h5) nor a "
                             "`foleygan train gan` run (config.json + checkpoints/)")
        if kind in kinds:
            raise ValueError(f"{run}: a second {kind} run (first: {kinds[kind]}); give one TRN and one GAN run")
        kinds[kind] = run
    if pact_gain is not None and "trn" not in kinds:
        raise ValueError(f"{', '.join(run_dirs)}: no TRN run to export, and the P_act gain applies to the TRN")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(f"{out_dir}: exists and is not a directory")
    exported = {}
    if "trn" in kinds:
        exported["trn"] = export_trn(kinds["trn"], os.path.join(out_dir, "trn"), verify=verify, pact_gain=pact_gain)
    if "generator" in kinds:
        exported["generator"] = export_generator(kinds["generator"], os.path.join(out_dir, "generator"),
                                                 verify=verify, **generator_options)
    return exported
