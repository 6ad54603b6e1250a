"""The JSON sidecar beside a clip (``<stem>.json``): ground truth that ``synth-data`` writes and any
dataset may provide — ``class`` (name) and ``events`` (seconds at which a sound starts), docs/dataset.md §2."""

from __future__ import annotations

import json
import os

__all__ = ["sidecar_path", "read_sidecar"]


def sidecar_path(video) -> str:
    """``<stem>.json`` beside ``video``."""
    return os.path.splitext(os.fspath(video))[0] + ".json"


def read_sidecar(video) -> dict | None:
    """The sidecar of ``video`` as ``{"class": str | None, "events": [float, …] | None, …}``
    (``None`` when there is no sidecar file). One-line ``ValueError`` naming the file when it is
    not a JSON object or its ``events`` is not a list of numbers."""
    path = sidecar_path(video)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            meta = json.load(f)
        if not isinstance(meta, dict):
            raise TypeError("not a JSON object")
        events = meta.get("events")
        meta["events"] = None if events is None else [float(t) for t in events]
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: not a readable sidecar ({err})") from None
    meta.setdefault("class", None)
    return meta
