"""Fixtures of the robustness suite: the generated bad-input corpus, the bundled default
models (copied once, loaded once per session), and an in-process CLI runner.

The package-less layout (no ``__init__.py``) puts this folder on ``sys.path`` under pytest's
default import mode, so the test modules ``import corpus``.
"""

import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import corpus  # noqa: E402

DEFAULT_MODELS = os.path.join(REPO, "saved_models", "default")


@pytest.fixture(scope="session")
def corpus_files(tmp_path_factory):
    """``{item: path}`` of every corpus item, plus ``"non_ascii"``: a good clip whose folder and
    file names hold spaces and non-ASCII characters."""
    root = tmp_path_factory.mktemp("corpus")
    files = corpus.build(str(root / "items"))
    folder = root / corpus.NON_ASCII_DIR
    folder.mkdir()
    files["non_ascii"] = corpus.good(str(folder / corpus.NON_ASCII_NAME))
    return files


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    """A private copy of saved_models/default (4 MB): another job may rebuild the original."""
    if not os.path.isfile(os.path.join(DEFAULT_MODELS, "generator", "saved_model.pb")):
        pytest.fail(f"the bundled default models are missing at {DEFAULT_MODELS} (make default-models)")
    out = tmp_path_factory.mktemp("models") / "default"
    shutil.copytree(DEFAULT_MODELS, out)
    return str(out)


@pytest.fixture(scope="session")
def pipeline(models_dir, tf):
    from foleygan_tf.inference.pipeline import FoleyPipeline

    return FoleyPipeline.from_saved_models(models_dir)


@pytest.fixture
def cached_pipeline(pipeline, monkeypatch):
    """``foleygan generate`` in-process, reusing the session's loaded SavedModels (loading them
    costs 4–10 s; everything after the load is the real command)."""
    from foleygan_tf.inference.pipeline import FoleyPipeline

    monkeypatch.setattr(FoleyPipeline, "from_saved_models", classmethod(lambda cls, d, **kw: pipeline))
    return pipeline


@pytest.fixture
def run_cli(capsys):
    """``run_cli(argv) → (exit code, stdout, stderr)`` of ``foleygan_tf.cli.main`` in-process."""
    from foleygan_tf.cli import main

    def run(argv):
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session")
def prepared(corpus_files, tmp_path_factory, tf):
    """The real `prepare` (in-process) over an AFD dataset made of every corpus item —
    ``<non-ASCII root>/footstep/<item>`` + ``clock/<non-ASCII dir>/<clip>`` — into a non-ASCII
    SHARDS_DIR. ``{"code", "manifest", "examples": {clip_id: window}, "shards", "skipped"}``."""
    import json

    import cv2
    import numpy as np

    from foleygan_tf.cli import main

    base = tmp_path_factory.mktemp("prepare")
    root = base / "données d'entrée ü"
    (root / "footstep").mkdir(parents=True)
    for name, path in corpus_files.items():
        if name == "non_ascii":
            dst = root / "clock" / os.path.basename(os.path.dirname(path))
            dst.mkdir(parents=True)
            shutil.copy(path, dst / os.path.basename(path))
        elif os.path.isdir(path):
            shutil.copytree(path, root / "footstep" / os.path.basename(path))
        else:
            shutil.copy(path, root / "footstep" / os.path.basename(path))
    shards = base / "sortie é 日本" / "shards"
    code = main(["prepare", str(root), str(shards), "--preset", "tiny", "--workers", "1", "--quiet"])
    manifest = json.loads((shards / "manifest.json").read_text())
    examples = {}
    for split in ("train", "test"):
        for shard in manifest["splits"][split]["shards"]:
            for rec in tf.data.TFRecordDataset(str(shards / shard["file"])):
                f = tf.train.Example.FromString(rec.numpy()).features.feature
                cid = f["clip_id"].bytes_list.value[0].decode()
                assert cid not in examples, "one window per 1.5 s clip"
                examples[cid] = {
                    "split": split,
                    "frames": np.stack([cv2.cvtColor(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR),
                                                     cv2.COLOR_BGR2RGB) for b in f["frames"].bytes_list.value]),
                    "wave": np.frombuffer(f["wave"].bytes_list.value[0], "<f4"),
                    "source_fps": f["source_fps"].float_list.value[0],
                    "valid_seconds": f["valid_seconds"].float_list.value[0],
                }
    return {"code": code, "manifest": manifest, "examples": examples, "shards": shards,
            "skipped": {s["path"]: s["reason"] for s in manifest["skipped"]}}
