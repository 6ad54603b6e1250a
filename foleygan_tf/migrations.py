"""Upgrades of saved configs (``config.json`` of run directories, the ``config`` of export metadata)
from older schema versions to :data:`foleygan_tf.config.SCHEMA_VERSION`.

A saved config without ``schema_version`` is schema 1. Each ``_v{n}_to_v{n+1}`` step makes
explicit what the older code did implicitly, so an old run loads into networks of the same shape
and resumes with the same behaviour:

Schema 1 → 2
  * ``trn.mtrn_g_layers = 1`` — schema-1 MTRNs had a one-layer g (TRN-pytorch's); schema 2
    defaults to the paper's two layers.
  * ``trn.pair_epochs = trn.epochs`` — schema 1 trained MTRN and 2TRN jointly for ``trn.epochs``.
  * ``trn.pair_input`` missing → ``"concat"`` (the 2TRN input before that field existed; later
    schema-1 configs always name it). ``"concat_difference"`` was removed (measured without gain).
  * ``gan.class_source = "label"`` — schema-1 GAN training conditioned G on the true class.
  * ``name`` ``"compact"`` → ``"bundled"``: the preset of the bundled models was renamed (same
    geometry and networks; its training recipe, then given as ``--set`` options, is now part of it).
  * removed, ignored when off and refused when on (their weights or losses no longer exist):
    ``gan.curve_gate``, ``gan.magnitude_loss``, ``gan.waveform_onset_loss``,
    ``gan.waveform_stft_loss``; dropped: ``trn.pair_loss_weight`` (the separately trained 2TRN has
    a loss of its own) and ``train.epochs`` (never read; ``train.iterations`` counts training).
"""

from __future__ import annotations

import copy

REMOVED_SWITCHES_V1 = ("curve_gate", "magnitude_loss", "waveform_onset_loss", "waveform_stft_loss")


def schema_version(data: dict) -> int:
    """The schema of a saved config dict (1 when it has no ``schema_version``)."""
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"config schema_version must be an integer, got {version!r}")
    return version


def upgrade_config(data: dict) -> dict:
    """A copy of the saved config ``data`` upgraded to the current schema, without
    ``schema_version``. One-line ``ValueError`` for an unknown (newer) schema or a schema-1 config
    that used a removed switch."""
    from foleygan_tf.config import SCHEMA_VERSION

    if not isinstance(data, dict):
        raise ValueError(f"a config must be a JSON object, got {type(data).__name__}")
    version = schema_version(data)
    if not 1 <= version <= SCHEMA_VERSION:
        raise ValueError(f"config schema {version} is unknown to this foleygan_tf (it reads schemas 1 to "
                         f"{SCHEMA_VERSION}); update foleygan_tf to load it")
    data = copy.deepcopy(data)
    data.pop("schema_version", None)
    for step in _STEPS[version - 1:]:
        data = step(data)
    return data


def _v1_to_v2(data: dict) -> dict:
    gan = data.setdefault("gan", {})
    for name in REMOVED_SWITCHES_V1:
        if gan.pop(name, 0):
            raise ValueError(f"gan.{name} was removed in config schema 2; this schema-1 config turns it on "
                             "and cannot be loaded")
    gan["class_source"] = "label"
    trn = data.setdefault("trn", {})
    trn.pop("pair_loss_weight", None)
    trn.setdefault("pair_input", "concat")
    if trn["pair_input"] == "concat_difference":
        raise ValueError("trn.pair_input='concat_difference' was removed in config schema 2; this schema-1 "
                         "config cannot be loaded")
    trn["mtrn_g_layers"] = 1
    trn["pair_epochs"] = trn.get("epochs", 100)
    data.get("train", {}).pop("epochs", None)
    if data.get("name") == "compact":
        data["name"] = "bundled"
    return data


# _STEPS[n - 1] upgrades schema n to n + 1
_STEPS = (_v1_to_v2,)
