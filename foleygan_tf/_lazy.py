"""Lazy package exports: ``__getattr__ = lazy_exports(__name__, {name: submodule})``.

Our packages re-export names from submodules that import TensorFlow; importing them lazily keeps
``foleygan --help`` instant and lets worker processes (``prepare``, ``synth-data``) that only need
file I/O skip TensorFlow altogether.
"""

import importlib
import sys


def lazy_exports(package: str, exports: dict):
    """A module ``__getattr__`` that imports ``package.<exports[name]>`` on first access."""
    module = sys.modules[package]

    def __getattr__(name):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        setattr(module, name, value)
        return value

    return __getattr__
