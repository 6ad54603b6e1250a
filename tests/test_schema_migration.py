"""Run directories and exports written by the schema-1 code (tests/fixtures/README.md) load,
resume and generate with the current code."""

import json
import os
import shutil
import tarfile

import numpy as np
import pytest

from foleygan_tf.cli import main

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "v1_tiny_runs.tar.xz")
CLASSES = ["--set", "num_classes=2", "--set", "class_names=chopping,gunshot"]


@pytest.fixture(scope="module")
def v1(tmp_path_factory):
    """The extracted fixture plus shards made now with the fixture's data settings."""
    root = tmp_path_factory.mktemp("v1")
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(root, filter="data")
    data, shards = str(root / "data"), str(root / "shards")
    assert main(["synth-data", data, "--clips-per-class", "10", "--size", "32", "--seed", "1", "--classes",
                 "chopping,gunshot", "--workers", "1", "--quiet", *CLASSES]) == 0
    assert main(["prepare", data, shards, "--preset", "tiny", "--workers", "1", "--quiet", *CLASSES]) == 0
    return root


def _schema(path):
    with open(path) as f:
        return json.load(f).get("schema_version", 1)


def test_fixture_is_schema_1_and_small(v1):
    assert os.path.getsize(FIXTURE) < 600_000
    for run in ("trn", "gan"):
        assert _schema(v1 / "runs" / run / "config.json") == 1
    with open(v1 / "export" / "generator" / "assets" / "foleygan_generator.json") as f:
        assert "schema_version" not in json.load(f)["config"]


def test_schema1_trn_run_loads_with_its_weights(v1, tf):
    """The upgraded config builds the same network (one-layer MTRN g, motion stream) and the
    weights file loads: predictions equal those of the schema-1 code's own export."""
    from foleygan_tf.training.trn import load_trn

    model = load_trn(str(v1 / "runs" / "trn"))
    assert (model.mtrn_g_layers, model.pair_input) == (1, "rgb_difference")
    frames = np.random.default_rng(0).integers(0, 256, (1, 24, 32, 32, 3), dtype=np.uint8)
    ours = model.predict_actions(frames)
    theirs = tf.saved_model.load(str(v1 / "export" / "trn")).signatures["serving_default"](
        frames=tf.constant(frames), fps=tf.constant([8.0]))
    np.testing.assert_allclose(ours["class_probs"].numpy(), theirs["class_probs"].numpy(), atol=1e-6)
    np.testing.assert_allclose(ours["p_act"].numpy(), theirs["p_act"].numpy(), atol=1e-6)


def test_schema1_trn_run_refuses_to_continue_training(v1, capsys):
    run = str(v1 / "trn_copy")
    shutil.copytree(v1 / "runs" / "trn", run)
    assert main(["train", "trn", str(v1 / "shards"), run, "--epochs", "3", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "trained jointly (config schema 1)" in err and "\n" not in err


def test_schema1_gan_run_resumes_and_exports(v1, capsys, tmp_path):
    """The bare command resumes the GAN run with its own (upgraded) config: the optimizer step
    continues from the checkpoint, config.json is rewritten in schema 2, and the run exports
    models that generate."""
    run = v1 / "runs" / "gan"
    assert main(["train", "gan", str(v1 / "shards"), str(run), "--steps", "8"]) == 0
    assert "resumed" in capsys.readouterr().out
    with open(run / "history.json") as f:
        steps = [r["step"] for r in json.load(f) if "g_loss" in r]
    assert steps[0] <= 4 < steps[-1] == 8
    assert _schema(run / "config.json") == 2
    out = v1 / "models"
    assert main(["export", str(v1 / "runs" / "trn"), str(run), str(out)]) == 0
    assert _schema_of_export(out / "generator") == _schema_of_export(out / "trn") == 2
    _assert_generates(v1, out, tmp_path)


def test_schema1_exports_generate(v1, tmp_path):
    """``foleygan generate`` runs with the schema-1 code's own SavedModels."""
    _assert_generates(v1, v1 / "export", tmp_path)


def _assert_generates(v1, models, tmp_path):
    video = v1 / "data" / "gunshot" / "gunshot_0000.mp4"
    out = tmp_path / "out.mp4"
    assert main(["generate", str(video), "-o", str(out), "--models", str(models), "--wav", "--quiet"]) == 0
    import soundfile

    wave, rate = soundfile.read(str(tmp_path / "out.wav"))
    assert rate == 44100 and abs(len(wave) / rate - 3.0) < 0.05 and np.sqrt(np.mean(wave ** 2)) > 1e-3


def _schema_of_export(path):
    name = "foleygan_generator.json" if path.name == "generator" else "foleygan_trn.json"
    with open(path / "assets" / name) as f:
        return json.load(f)["config"]["schema_version"]


