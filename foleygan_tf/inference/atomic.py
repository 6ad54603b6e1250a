"""Atomic installation of an exported directory (SavedModels are directories, not files)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile


def install_directory(tmp: str, out: str) -> None:
    """Move the finished directory ``tmp`` to ``out``. An existing ``out`` is first renamed aside,
    so at every moment ``out`` is either the old complete export or the new one — never half of
    one; the old copy is deleted last."""
    if os.path.exists(out):
        old = f"{out}.old-{os.getpid()}"
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


@contextlib.contextmanager
def staged_export(out: str, prefix: str):
    """``with staged_export(out, "foleygan_x_") as (tmp, staging):`` — write the export to ``tmp``
    (``OUT.tmp-<pid>``, beside ``out``) and side files to the scratch folder ``staging``; on a
    normal exit ``tmp`` is installed as ``out`` (:func:`install_directory`); on any exit the
    scratch folder and a leftover ``tmp`` are removed."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = f"{out}.tmp-{os.getpid()}"
    staging = tempfile.mkdtemp(prefix=prefix)
    try:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
        yield tmp, staging
        install_directory(tmp, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but is not ours (EPERM)
        return True
    return True


def remove_stale_temps(output_paths) -> list[str]:
    """Delete the temporaries that a killed run left beside ``output_paths``: files named
    ``.NAME.tmp-<pid>[.ext]`` or ``NAME.tmp-<pid>[.ext]`` (NAME = an output's basename; the
    patterns of ``mux_audio``, ``write_wav`` and the plot) whose process no longer exists.
    Temporaries of live processes and every other file are left alone. Returns what was removed."""
    import re

    removed = []
    by_dir: dict[str, set[str]] = {}
    for p in output_paths:
        p = os.path.abspath(os.fspath(p))
        by_dir.setdefault(os.path.dirname(p), set()).add(os.path.basename(p))
    for directory, names in by_dir.items():
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for fn in entries:
            m = re.fullmatch(r"\.?(.+)\.tmp-(\d+)(\.[A-Za-z0-9]+)?", fn)
            if not m or m.group(1) not in names or _pid_alive(int(m.group(2))):
                continue
            try:
                os.remove(os.path.join(directory, fn))
                removed.append(os.path.join(directory, fn))
            except OSError:
                pass
    return removed
