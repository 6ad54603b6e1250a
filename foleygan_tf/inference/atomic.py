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
