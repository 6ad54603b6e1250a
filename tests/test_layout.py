"""Rules of the package layout that a grep can check (docs/DEVELOPING.md)."""

import os
import re

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "foleygan_tf")


def _sources():
    for root, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path) as f:
                    yield os.path.relpath(path, PACKAGE), f.read()


def test_renames_happen_only_in_the_atomic_write_helper():
    pattern = re.compile(r"os\.replace\(|os\.rename\(|shutil\.move\(|\.rename\(|Path\([^)]*\)\.replace\(")
    offenders = [rel for rel, text in _sources() if pattern.search(text) and rel != "atomic.py"]
    assert offenders == []


def test_only_the_cli_has_a_main_block():
    offenders = [rel for rel, text in _sources() if "if __name__ == \"__main__\"" in text]
    assert sorted(offenders) == ["cli.py"]
