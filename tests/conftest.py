"""Shared test fixtures.

TensorFlow is imported once per test process (it costs ~5 s); every test uses the ``tiny``
preset unless it is marked ``slow`` (deselected by ``make test``, run by ``make test-slow``).
Tests run on the CPU with deterministic seeds.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# librosa's numba functions cache their machine code beside librosa's sources; on a fresh install
# the parallel workers of `make test` (pytest-xdist) compiled and wrote the same cache files at
# once, and one read another's half-written file (a segfault in peak_pick). One cache folder per
# worker, inherited by the commands and notebook kernels the worker starts; set before numba is
# imported.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(
        os.environ.get("NUMBA_CACHE_DIR") or os.path.join(REPO, "build", "numba-cache"),
        os.environ["PYTEST_XDIST_WORKER"])

import numpy as np
import pytest

SOUNDBANK = os.environ.get("FOLEYGAN_SOUNDBANK", os.path.join(os.path.dirname(REPO), "shared", "soundbank"))


@pytest.fixture(scope="session")
def tf():
    import tensorflow as tf

    tf.random.set_seed(0)
    return tf


@pytest.fixture
def tiny_cfg():
    from foleygan_tf.config import get_preset

    return get_preset("tiny")


@pytest.fixture
def paper_cfg():
    from foleygan_tf.config import get_preset

    return get_preset("paper")


@pytest.fixture(scope="session")
def soundbank_dir():
    if not os.path.isdir(SOUNDBANK):
        pytest.fail(f"the shared sound bank is missing at {SOUNDBANK} (set FOLEYGAN_SOUNDBANK)")
    return SOUNDBANK


@pytest.fixture
def rng():
    return np.random.default_rng(0)
