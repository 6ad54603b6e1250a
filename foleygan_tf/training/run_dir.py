"""A training run directory: ``config.json``, ``history.json``, ``checkpoints/``, ``tensorboard/``.

Shared by the GAN, TRN and classifier trainers. Files are written atomically
(``foleygan_tf.atomic``), so a run killed at any moment leaves the last complete config, history
and checkpoint.

Which config a run uses (:func:`run_config`): a new run takes its preset and ``--set`` overrides;
an existing run takes its own ``config.json`` (upgraded from an older schema if need be, then
saved in the current one) with the overrides applied on top, which may only change fields that
shape no tensor (:data:`RESUMABLE_CHANGES`). So rerunning the same command, or the bare command
without ``--preset``/``--set``, resumes.
"""

from __future__ import annotations

import json
import os

from foleygan_tf.config import Config, apply_overrides, get_preset

CONFIG_NAME = "config.json"
HISTORY_NAME = "history.json"
CHECKPOINT_DIR = "checkpoints"
TENSORBOARD_DIR = "tensorboard"
DEFAULT_PRESET = "tiny"

# Fields that may change between a run and its resume without changing any tensor shape.
RESUMABLE_CHANGES = ("train.iterations", "train.log_every", "train.sample_every", "train.checkpoint_every",
                     "trn.epochs", "trn.pair_epochs", "eval.classifier_epochs")


def _differences(a: dict, b: dict, prefix="") -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += _differences(va, vb, f"{prefix}{key}.")
        elif va != vb:
            out.append(f"{prefix}{key}")
    return out


def saved_config(run_dir) -> Config | None:
    """The config of the run in ``run_dir`` (``None`` for a new run directory)."""
    path = os.path.join(os.fspath(run_dir), CONFIG_NAME)
    return Config.load(path) if os.path.exists(path) else None


def run_config(run_dir, preset: str | None = None, overrides=()) -> Config:
    """The config a trainer uses for ``run_dir`` (module docstring). One-line ``ValueError`` when
    ``preset`` names another preset than the run's, or an override changes a shape field."""
    saved = saved_config(run_dir)
    if saved is None:
        return apply_overrides(get_preset(preset or DEFAULT_PRESET), overrides)
    if preset is not None and preset != saved.name:
        raise ValueError(f"{run_dir}: holds a run of preset {saved.name!r}, not {preset!r}; resume it without "
                         "--preset (its config.json is used) or use a new run directory")
    config = apply_overrides(Config.from_dict(saved.to_dict()), overrides)
    _check_resumable(run_dir, saved, config)
    return config


def _check_resumable(run_dir, saved: Config, config: Config) -> None:
    diff = [d for d in _differences(saved.to_dict(), config.to_dict()) if d not in RESUMABLE_CHANGES]
    if diff:
        raise ValueError(f"{run_dir}: holds a run with a different config ({', '.join(diff[:6])}); resume it "
                         "with the same settings or use a new run directory")


def finished_run(run_dir, weights_name: str, what: str) -> tuple[Config, str]:
    """``(config, weights path)`` of a Keras run directory (``config.json`` + ``weights_name``);
    ``FileNotFoundError`` naming the missing file and ``what`` the directory should be."""
    config_path = os.path.join(run_dir, CONFIG_NAME)
    weights_path = os.path.join(run_dir, weights_name)
    for path in (config_path, weights_path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: not found — is {run_dir} a {what} run directory?")
    return Config.load(config_path), weights_path


class RunDir:
    """Paths and bookkeeping of one run. ``prepare(config)`` creates it or checks a resume."""

    def __init__(self, path: str):
        self.path = os.fspath(path)
        self.config_path = os.path.join(self.path, CONFIG_NAME)
        self.history_path = os.path.join(self.path, HISTORY_NAME)
        self.checkpoint_dir = os.path.join(self.path, CHECKPOINT_DIR)
        self.tensorboard_dir = os.path.join(self.path, TENSORBOARD_DIR)

    def prepare(self, config: Config) -> bool:
        """Create the directory and write ``config.json`` (current schema); return True when
        resuming an existing run. ``ValueError`` when the directory holds a run whose config
        differs in a field that shapes the models or data."""
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise ValueError(f"{self.path}: exists and is not a directory")
        os.makedirs(self.checkpoint_dir, exist_ok=True)
        saved = saved_config(self.path)
        if saved is not None:
            _check_resumable(self.path, saved, config)
        config.save(self.config_path)
        return saved is not None

    def read_history(self) -> list[dict]:
        if not os.path.exists(self.history_path):
            return []
        with open(self.history_path) as f:
            return json.load(f)

    def write_history(self, records: list[dict]) -> None:
        from foleygan_tf.atomic import write_json

        write_json(self.history_path, records)
