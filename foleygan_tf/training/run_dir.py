"""A training run directory: ``config.json``, ``history.json``, ``checkpoints/``, ``tensorboard/``.

Shared by the GAN and TRN trainers. Files are written atomically (temporary name + ``os.replace``),
so a run killed at any moment leaves the last complete config, history and checkpoint.
"""

from __future__ import annotations

import json
import os

from foleygan_tf.config import Config

CONFIG_NAME = "config.json"
HISTORY_NAME = "history.json"
CHECKPOINT_DIR = "checkpoints"
TENSORBOARD_DIR = "tensorboard"


def write_json_atomic(path: str, data) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _differences(a: dict, b: dict, prefix="") -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += _differences(va, vb, f"{prefix}{key}.")
        elif va != vb:
            out.append(f"{prefix}{key}")
    return out


class RunDir:
    """Paths and bookkeeping of one run. ``prepare(config)`` creates it or checks a resume."""

    # Fields that may change between a run and its resume without changing any tensor shape.
    RESUMABLE_CHANGES = ("train.iterations", "train.epochs", "train.log_every", "train.sample_every",
                         "train.checkpoint_every", "trn.epochs")

    def __init__(self, path: str):
        self.path = os.fspath(path)
        self.config_path = os.path.join(self.path, CONFIG_NAME)
        self.history_path = os.path.join(self.path, HISTORY_NAME)
        self.checkpoint_dir = os.path.join(self.path, CHECKPOINT_DIR)
        self.tensorboard_dir = os.path.join(self.path, TENSORBOARD_DIR)

    def prepare(self, config: Config) -> bool:
        """Create the directory and write ``config.json``; return True when resuming an existing run.

        Raises ``ValueError`` when the directory holds a run whose config differs in a field that
        shapes the models or data."""
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise ValueError(f"{self.path}: exists and is not a directory")
        os.makedirs(self.checkpoint_dir, exist_ok=True)
        resuming = os.path.exists(self.config_path)
        if resuming:
            saved = Config.load(self.config_path)
            diff = [d for d in _differences(saved.to_dict(), config.to_dict()) if d not in self.RESUMABLE_CHANGES]
            if diff:
                raise ValueError(f"{self.path}: holds a run with a different config ({', '.join(diff[:6])}); "
                                 "resume with the same --preset/--set or use a new run directory")
        config.save(self.config_path)
        return resuming

    def read_history(self) -> list[dict]:
        if not os.path.exists(self.history_path):
            return []
        with open(self.history_path) as f:
            return json.load(f)

    def write_history(self, records: list[dict]) -> None:
        write_json_atomic(self.history_path, records)
