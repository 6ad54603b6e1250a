"""Atomic installation of an exported directory (SavedModels are directories, not files)."""

from __future__ import annotations

import os
import shutil


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
