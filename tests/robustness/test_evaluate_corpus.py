"""`foleygan evaluate` and bad inputs. It reads prepared shards, a classifier run and model
directories — not media — so the corpus reaches it as the shards `prepare` made of it (4K, 60 fps,
… windows: handled) and as damaged shards (truncated / zero-byte / missing shard, a folder in a
shard's place, a corrupt manifest), wrong paths and a read-only output directory.

Cases that fail before any model is loaded run by default; the rest need a trained classifier and
are `slow`. The damaged-shard cases are caught by `read_manifest`/`shard_files` in
data/pipeline.py before TensorFlow reads a record."""

import json
import os
import shutil

import pytest
from robustness_checks import assert_one_line_error, leftovers

SETS = ["--preset", "tiny", "--set", "eval.ndb_k=2", "--quiet", "--no-plots"]


@pytest.mark.parametrize("case", ["shards_is_a_file", "out_is_a_file", "model_is_a_file", "classifier_missing"])
def test_unusable_paths_are_one_line(case, tmp_path, run_cli, models_dir):
    afile = tmp_path / "afile"
    afile.write_text("x")
    shards, clf, model, out = tmp_path, tmp_path, models_dir, tmp_path / "out"
    if case == "shards_is_a_file":
        shards, words = afile, ("--shards is not a directory",)
    elif case == "out_is_a_file":
        out, words = afile, ("--out exists and is not a directory",)
    elif case == "model_is_a_file":
        model, words = afile, ("model 'm' is not a directory",)
    else:
        clf, words = tmp_path / "no_classifier", ("--classifier is not a directory",)
    code, _, err = run_cli(["evaluate", "--shards", shards, "--classifier", clf, "--model", f"m={model}",
                            "--out", out, *SETS])
    assert_one_line_error(code, err, *words)
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def tiny_gan(tmp_path_factory, tf):
    """An untrained, unguided GAN run directory at the corpus shards' tiny preset (the bundled
    models are at another preset, so their rate does not match these shards)."""
    from foleygan_tf.config import get_preset
    from foleygan_tf.training.fit_gan import build_gan

    cfg = get_preset("tiny")
    cfg.gan.guidance = "none"
    run = tmp_path_factory.mktemp("gan") / "gan"
    (run / "checkpoints").mkdir(parents=True)
    cfg.save(str(run / "config.json"))
    tf.train.CheckpointManager(build_gan(cfg).checkpoint(), str(run / "checkpoints"),
                               max_to_keep=1).save(checkpoint_number=1)
    return str(run)


@pytest.fixture(scope="module")
def classifier(prepared, tmp_path_factory):
    """A 1-epoch retrieval classifier on the corpus shards (the real `train classifier`)."""
    from foleygan_tf.cli import main

    run = tmp_path_factory.mktemp("classifier") / "clf"
    assert main(["train", "classifier", str(prepared["shards"]), str(run), "--preset", "tiny", "--epochs", "1",
                 "--quiet"]) == 0
    return str(run)


@pytest.mark.slow
def test_evaluate_the_corpus_shards(prepared, classifier, tiny_gan, tmp_path, run_cli):
    """Handled: the windows made of 4K / 60 fps / VFR / 5.1 / 8-96 kHz / silent / grey / non-ASCII
    clips are scored like any other; the report goes to a non-ASCII folder, nothing else is left."""
    out = tmp_path / "rapport é 日本"
    code, stdout, err = run_cli(["evaluate", "--shards", prepared["shards"], "--classifier", classifier,
                                 "--model", f"default={tiny_gan}", "--out", out, *SETS[:-1]])
    assert code == 0 and "Traceback" not in err, err
    assert sorted(os.listdir(out)) == ["rainbowgrams.png", "report.json", "report.md", "spectrograms.png"]
    report = json.loads((out / "report.json").read_text())
    n_test = prepared["manifest"]["splits"]["test"]["examples"]
    assert n_test >= 1 and report["settings"]["test_windows"] == n_test
    assert "default" in stdout and "wrote" in stdout


def _damaged(prepared, tmp_path, how):
    shards = tmp_path / "shards"
    shutil.copytree(prepared["shards"], shards)
    test_shard = shards / prepared["manifest"]["splits"]["test"]["shards"][0]["file"]
    if how == "truncated":
        data = test_shard.read_bytes()
        test_shard.write_bytes(data[: len(data) // 2])
    elif how == "zero_byte":
        test_shard.write_bytes(b"")
    elif how == "missing":
        test_shard.unlink()
    elif how == "directory":
        test_shard.unlink()
        test_shard.mkdir()
    elif how == "manifest_not_json":
        (shards / "manifest.json").write_text("this is not JSON\n")
    elif how == "no_manifest":
        (shards / "manifest.json").unlink()
    return shards, test_shard


DAMAGE = {   # how → words of the one-line error
    "truncated": ("truncated",),
    "zero_byte": ("0 bytes", "truncated"),
    "missing": ("missing",),
    "directory": ("directory",),
    "manifest_not_json": ("manifest.json", "not a readable manifest"),
    "no_manifest": ("manifest.json: no manifest", "foleygan prepare"),
}


@pytest.mark.slow
@pytest.mark.parametrize("how", list(DAMAGE))
def test_damaged_shards_are_one_line(how, prepared, classifier, tiny_gan, tmp_path, run_cli):
    shards, test_shard = _damaged(prepared, tmp_path, how)
    out = tmp_path / "out"
    code, _, err = run_cli(["evaluate", "--shards", shards, "--classifier", classifier,
                            "--model", f"default={tiny_gan}", "--out", out, *SETS])
    words = DAMAGE[how]
    where = shards / "manifest.json" if "manifest" in how else test_shard
    assert_one_line_error(code, err, str(where), *words)
    assert not out.exists()


@pytest.mark.slow
def test_read_only_out_dir(prepared, classifier, tiny_gan, tmp_path, run_cli):
    import corpus

    ro = tmp_path / "ro"
    ro.mkdir()
    with corpus.read_only_dir(ro):
        code, _, err = run_cli(["evaluate", "--shards", prepared["shards"], "--classifier", classifier,
                                "--model", f"default={tiny_gan}", "--out", ro / "report", *SETS])
    assert_one_line_error(code, err, str(ro / "report"), "Permission denied")
    assert leftovers(ro) == []
