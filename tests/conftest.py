"""Shared test fixtures.

TensorFlow is imported once per pytest session (it costs ~5 s); every test uses the ``tiny``
preset unless it is marked ``slow`` (deselected by ``make test``, run by ``make test-slow``). Tests run on the CPU with deterministic seeds.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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
