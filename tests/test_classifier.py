"""The sound-retrieval classifier (foleygan_tf/evaluation/classifier.py) and `foleygan train classifier`.

:func:`make_eval_shards` (also used by tests/test_evaluate.py) writes tiny prepared shards in ~2 s:
``foleygan_tf.data.prepare.prepare_dataset`` with the per-clip decoder replaced by synthetic
windows (no video decoding) — three classes with distinct timbres (footstep: 60 Hz thuds, clock:
200 Hz ticks at the sidecar event times; rain: noise, a sidecar without events), a bright square
in the frames at each event, and every third clip in the test split.
"""

import json
import os
import zlib

import numpy as np
import pytest

from foleygan_tf.cli import main

EVAL_CLASSES = ("footstep", "clock", "rain")


def _synthetic_windows(task, opt):
    """One window per clip (``load_clip_windows``' output format), deterministic per clip id."""
    rng = np.random.default_rng(zlib.crc32(task.clip_id.encode()))
    sr, n = opt.sample_rate, opt.clip_samples
    t = np.arange(n) / sr
    wave = 0.002 * rng.standard_normal(n)
    if task.class_name == "rain":
        events = []
        wave += 0.08 * rng.standard_normal(n)
    else:
        k = int(rng.integers(3, 6))
        events = sorted(rng.uniform(0.2, opt.clip_seconds - 0.3, k).round(3).tolist())
        events = [e for i, e in enumerate(events) if i == 0 or e - events[i - 1] > 0.25]
        freq, decay = (60.0, 0.06) if task.class_name == "footstep" else (200.0, 0.02)
        for e in events:
            m = t >= e
            wave[m] += 0.6 * np.exp(-(t[m] - e) / decay) * np.sin(2 * np.pi * freq * (t[m] - e))
    frames_n, size = opt.frames_per_clip, opt.frame_size
    fps = frames_n / opt.clip_seconds
    frames = np.zeros((frames_n, size, size, 3), np.uint8)
    frames[..., EVAL_CLASSES.index(task.class_name)] = 60
    for e in events:
        i = int(round(e * fps))
        if i < frames_n:
            frames[i, 8:24, 8:24] = 255
    return [{"frames": [frames.tobytes()], "num_frames": frames_n, "frame_size": size, "fps": float(fps),
             "source_fps": float(fps), "wave": np.asarray(wave, "<f4").tobytes(), "sample_rate": sr,
             "label": task.label, "class_name": task.class_name, "clip_id": task.clip_id,
             "window_start": 0.0, "valid_seconds": float(opt.clip_seconds), "events": events, "has_events": 1}]


def make_eval_shards(root, clips_per_class: int = 12) -> str:
    """Prepared tiny shards (module docstring) under ``root``; returns the shards directory."""
    from foleygan_tf.config import get_preset
    from foleygan_tf.data import prepare

    data, shards = os.path.join(root, "data"), os.path.join(root, "shards")
    for c in EVAL_CLASSES:
        os.makedirs(os.path.join(data, c))
        for i in range(clips_per_class):
            open(os.path.join(data, c, f"clip{i:02d}.mp4"), "wb").close()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prepare, "load_clip_windows", _synthetic_windows)
        mp.setattr(prepare, "split_of", lambda clip_id, frac: "test" if int(clip_id[-6:-4]) % 3 == 0 else "train")
        prepare.prepare_dataset(data, shards, get_preset("tiny"), frame_format="raw", workers=1, progress=False)
    return shards


@pytest.fixture(scope="module")
def shards(tmp_path_factory, tf):
    return make_eval_shards(str(tmp_path_factory.mktemp("classifier")))


def test_backbones_and_feature_layer(tf, tiny_cfg):
    from foleygan_tf.evaluation.classifier import build_classifier, resolve_backbone

    assert resolve_backbone(tiny_cfg) == "small_cnn"           # auto: 64 < 128
    tiny_cfg.eval.classifier_backbone = "resnet50"
    assert resolve_backbone(tiny_cfg) == "resnet50"
    model = build_classifier(tiny_cfg)
    assert model.output.shape[-1] == 12 and model.get_layer("features").output.shape[-1] == 2048
    # every BN layer of the ResNet uses the classifier's momentum (small datasets: docs/evaluation.md)
    bns = [l for l in model.get_layer(index=1).layers if type(l).__name__ == "BatchNormalization"]
    assert len(bns) == 53 and {b.momentum for b in bns} == {0.9}
    from foleygan_tf.config import apply_overrides, get_preset

    assert resolve_backbone(get_preset("small")) == "resnet50"
    with pytest.raises(ValueError, match="classifier_backbone"):
        apply_overrides(get_preset("tiny"), ["eval.classifier_backbone=vgg"])


def test_predict_waves_gives_probabilities_and_features(tf, tiny_cfg):
    from foleygan_tf.evaluation.classifier import RetrievalClassifier, build_classifier

    clf = RetrievalClassifier(build_classifier(tiny_cfg), tiny_cfg)
    waves = np.random.default_rng(0).standard_normal((5, tiny_cfg.audio.clip_samples)).astype("float32") * 0.1
    out = clf.predict_waves(waves, batch_size=2)
    assert out["probs"].shape == (5, 12) and out["features"].shape == (5, 128)
    np.testing.assert_allclose(out["probs"].sum(axis=1), 1.0, atol=1e-5)
    # features are the input of the logits layer: logits = W·features + b reproduces the probs
    w, b = clf.model.get_layer("logits").get_weights()
    logits = out["features"] @ w + b
    probs = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(probs / probs.sum(1, keepdims=True), out["probs"], atol=1e-5)
    with pytest.raises(ValueError, match="samples"):
        clf.predict_waves(waves[0])


@pytest.mark.slow
def test_train_classifier_cli_learns_and_resumes(shards, tmp_path, capsys, tf):
    """Three clearly different timbres are learnt in a few epochs; more epochs continue the run.
    (The default-suite check of the command's outputs is in tests/test_evaluate.py.) ~40 s."""
    run = str(tmp_path / "clf")
    args = ["train", "classifier", shards, run, "--set", "eval.classifier_batch_size=8", "--quiet"]
    assert main(args + ["--epochs", "5"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("trained classifier (small_cnn): 5 epochs") and "test accuracy" in line
    with open(os.path.join(run, "history.json")) as f:
        history = json.load(f)
    assert history[-1]["loss"] < history[0]["loss"]
    with open(os.path.join(run, "eval.json")) as f:
        ev = json.load(f)
    # well above chance (1/3 among the present classes, 1/12 over all outputs); measured 0.67–0.92
    # after 4–6 epochs (CPU thread timing makes runs differ)
    assert ev["accuracy"] >= 0.6
    assert main(args + ["--epochs", "6"]) == 0                     # continues the run
    with open(os.path.join(run, "history.json")) as f:
        assert [r["epoch"] for r in json.load(f)] == list(range(1, 7))


def test_train_classifier_errors_are_one_line(shards, tmp_path, capsys):
    assert main(["train", "classifier", str(tmp_path / "nope"), str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("foleygan: error:") and "nope" in err and "\n" not in err
    assert main(["train", "classifier", shards, str(tmp_path / "r"), "--epochs", "0", "--quiet"]) == 2
    assert "epochs must be ≥ 1, got 0" in capsys.readouterr().err
