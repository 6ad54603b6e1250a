"""Atomic writes: the one place where the package moves a finished file or folder into place.

Every output of the package is written to a temporary beside its final path and renamed over it
only once complete, so a process killed at any moment leaves either the previous complete output
or the new complete one, never half of one:

* :func:`atomic_path` — a context manager yielding the temporary path of one file (for writers
  that want a path: Keras ``save_weights``, PyAV, ``tf.io.TFRecordWriter``, matplotlib);
* :func:`write_bytes`, :func:`write_text`, :func:`write_json` — whole files from memory (fsynced);
* :func:`atomic_directory` — a context manager yielding a temporary folder installed as a whole
  (SavedModels, caches): the old folder is renamed aside first and deleted last;
* :func:`remove_stale_temps` — deletes the temporaries a killed process left beside given outputs
  (or anywhere in a folder).

Temporaries are named ``.<name>.tmp-<pid><suffix>`` in the output's own folder (a rename within a
file system is atomic); the suffix is the output's extension by default, because several writers
choose the format from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil

__all__ = ["atomic_path", "write_bytes", "write_text", "write_json", "atomic_directory",
           "remove_stale_temps", "temporary_name"]

_TEMP_PATTERN = re.compile(r"\.(.+)\.tmp-(\d+)(\..+)?")


def temporary_name(path, suffix: str | None = None) -> str:
    """The temporary path of ``path`` for this process: ``DIR/.NAME.tmp-<pid><suffix>``
    (``suffix`` defaults to NAME's extension, e.g. ``.mp4``)."""
    path = os.fspath(path)
    folder, name = os.path.split(path)
    if suffix is None:
        suffix = os.path.splitext(name)[1]
    return os.path.join(folder, f".{name}.tmp-{os.getpid()}{suffix}")


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            os.remove(path)


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None):
    """``with atomic_path(out) as tmp: write(tmp)`` — on a normal exit ``tmp`` replaces ``out``;
    on an exception ``tmp`` is removed and ``out`` is left as it was. The parent folder must exist.
    ``suffix``: the temporary's extension when the writer needs one other than ``out``'s (Keras
    weights files must end in ``.weights.h5``)."""
    tmp = temporary_name(path, suffix)
    _remove(tmp)
    try:
        yield tmp
        os.replace(tmp, os.fspath(path))
    except BaseException:
        _remove(tmp)
        raise


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (flushed and fsynced before the rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path, data, indent: int | None = 1, sort_keys: bool = False) -> None:
    """Write ``data`` as JSON (newline-terminated) to ``path`` atomically; numpy scalars and
    arrays are converted."""
    write_text(path, json.dumps(data, indent=indent, sort_keys=sort_keys, default=_json_default) + "\n")


def _json_default(value):
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def install_directory(tmp: str, out: str) -> None:
    """Move the finished folder ``tmp`` to ``out``. An existing ``out`` is first renamed aside, so
    at every moment ``out`` is the old complete folder or the new one; the old copy goes last."""
    if os.path.exists(out):
        old = temporary_name(out, ".old")
        _remove(old)
        os.replace(out, old)
        os.replace(tmp, out)
        _remove(old)
    else:
        os.replace(tmp, out)


@contextlib.contextmanager
def atomic_directory(path, replace: bool = True):
    """``with atomic_directory(out) as tmp: fill(tmp)`` — ``tmp`` is a new empty folder beside
    ``out``; on a normal exit it is installed as ``out`` (:func:`install_directory`), on an
    exception it is removed. Missing parent folders are created. ``replace=False``: when ``out``
    exists by then (another process built it meanwhile), it is kept and ``tmp`` discarded."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = temporary_name(path, "")
    _remove(tmp)
    os.makedirs(tmp)
    try:
        yield tmp
        if replace or not os.path.exists(path):
            install_directory(tmp, path)
    finally:
        _remove(tmp)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else (EPERM)
        return True
    return True


def remove_stale_temps(output_paths=(), folder=None) -> list[str]:
    """Delete the temporaries (:func:`temporary_name`) that killed processes left beside
    ``output_paths``, and with ``folder`` every such temporary in that folder. Temporaries of live
    processes and every other file are left alone. Returns the removed paths."""
    removed = []
    by_dir: dict[str, set[str] | None] = {}
    for p in output_paths:
        p = os.path.abspath(os.fspath(p))
        by_dir.setdefault(os.path.dirname(p), set()).add(os.path.basename(p))
    if folder is not None:
        by_dir[os.path.abspath(os.fspath(folder))] = None   # any name
    for directory, names in by_dir.items():
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            m = _TEMP_PATTERN.fullmatch(entry)
            if not m or (names is not None and m.group(1) not in names) or _pid_alive(int(m.group(2))):
                continue
            path = os.path.join(directory, entry)
            _remove(path)
            removed.append(path)
    return removed
