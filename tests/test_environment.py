"""The pins live in pyproject.toml; environment.yml mirrors them; the venv has exactly them."""

import os
import re
import tomllib
from importlib import metadata

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pyproject_pins():
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    return list(project["dependencies"]) + list(project["optional-dependencies"]["test"])


def _environment_yml_pins():
    pins, in_pip = [], False
    for line in open(os.path.join(REPO, "environment.yml")):
        stripped = line.strip()
        if stripped == "- pip:":
            in_pip = True
            continue
        if in_pip and stripped.startswith("- ") and "==" in stripped:
            pins.append(stripped[2:].strip())
    return pins


def test_environment_yml_mirrors_pyproject():
    assert sorted(_environment_yml_pins()) == sorted(_pyproject_pins())


def test_every_pin_is_exact_and_installed():
    for pin in _pyproject_pins():
        name, _, version = pin.partition("==")
        assert version, f"{pin} is not pinned with =="
        assert metadata.version(re.sub(r"\[.*\]", "", name)) == version, f"installed {name} differs from the pin"


def test_python_version():
    import sys

    assert sys.version_info[:2] == (3, 11)


def test_gpu_extra_is_documented():
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        gpu = tomllib.load(f)["project"]["optional-dependencies"]["gpu"]
    assert any(p.startswith("tensorflow[and-cuda]==2.17") for p in gpu)
    assert "and-cuda" in open(os.path.join(REPO, "README.md")).read()


def test_tensorflow_io_kernels_decode_and_resample_ogg(tf, soundbank_dir):
    """tensorflow-io's kernels load (TF 2.17) and decode + resample a real OGG inside tf.data."""
    import glob

    import numpy as np

    from foleygan_tf.audio import load_audio, tf_decode_audio_file

    path = sorted(glob.glob(os.path.join(soundbank_dir, "gunshot", "*.ogg")))[0]
    ds = tf.data.Dataset.from_tensor_slices([path]).map(lambda p: tf_decode_audio_file(p, 16000))
    decoded = next(iter(ds)).numpy()
    reference = load_audio(path, 16000)  # libsndfile + soxr
    assert abs(decoded.size - reference.size) <= 2
    n = min(decoded.size, reference.size)
    corr = np.corrcoef(decoded[:n], reference[:n])[0, 1]
    assert corr > 0.98, f"tfio decode/resample disagrees with libsndfile+soxr (r={corr:.3f})"
