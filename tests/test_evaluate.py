"""`foleygan evaluate` / foleygan_tf.evaluation.report (sync scores, Tables I–III, rainbowgrams).

Fixture (~20 s): the tiny synthetic shards of tests/test_classifier.py, a retrieval classifier
trained for one epoch by `foleygan train classifier`, untrained run directories of the TRN
(guidance source) and a GAN (guidance ``both``) — the numbers are checked for consistency, not
quality. Known answers come from generator-like
objects: one that replays the real test audio must score exactly like the "Real data" row.
"""

import json
import os

import numpy as np
import pytest

from foleygan_tf.cli import main
from tests.helpers.shared_fixture import built_once
from tests.test_classifier import make_eval_shards

NDB_K = 4   # the fixture has 24 train windows


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tf):
    from foleygan_tf.config import get_preset
    from foleygan_tf.models.build import build_action_recognizer
    from foleygan_tf.training.fit_gan import build_gan

    def build(root):
        shards = make_eval_shards(str(root))
        cfg = get_preset("tiny")
        assert main(["train", "classifier", shards, str(root / "clf"), "--epochs", "1",
                     "--set", "eval.classifier_batch_size=8", "--quiet"]) == 0

        trn_run = root / "trn"
        trn_run.mkdir()
        cfg.save(str(trn_run / "config.json"))
        trn = build_action_recognizer(cfg, deterministic=True)
        trn({"frames": np.zeros((1, 24, 32, 32, 3), np.uint8), "num_frames": np.array([24], np.int32)})
        trn.save_weights(str(trn_run / "trn.weights.h5"))

        run = root / "guided"
        (run / "checkpoints").mkdir(parents=True)
        cfg.save(str(run / "config.json"))                                   # gan.guidance = both
        tf.train.CheckpointManager(build_gan(cfg).checkpoint(), str(run / "checkpoints"),
                                   max_to_keep=1).save(checkpoint_number=1)
        return {"root": str(root), "shards": shards, "clf": str(root / "clf"), "trn": str(trn_run),
                "guided": str(run)}

    return built_once(tmp_path_factory, "evaluate", build)


def _test_windows(shards):
    from foleygan_tf.data.pipeline import example_dataset

    waves, labels, events = [], [], []
    for e in example_dataset(shards, "test"):
        waves.append(e["wave"].numpy())
        labels.append(int(e["label"]))
        events.append(e["events"].numpy()[: int(e["num_events"])])
    return np.stack(waves), np.array(labels), events


class Replay:
    """A generator-like object returning given waves, batch after batch (known-answer baseline)."""

    def __init__(self, config, waves):
        self.config, self.waves, self.i = config, waves, 0

    def serve(self, z, onehot, s_act, curve):
        out = self.waves[self.i:self.i + len(z)]
        self.i += len(z)
        return out


def test_train_classifier_writes_run_and_eval(setup):
    run = setup["clf"]
    with open(os.path.join(run, "history.json")) as f:
        history = json.load(f)
    assert [r["epoch"] for r in history] == [1] and history[0]["step"] == 24 // 8
    assert np.isfinite(history[0]["loss"]) and "val_accuracy" in history[0]
    with open(os.path.join(run, "config.json")) as f:
        assert json.load(f)["eval"]["classifier_batch_size"] == 8
    with open(os.path.join(run, "eval.json")) as f:
        ev = json.load(f)
    cm = np.array(ev["confusion_matrix"])
    assert cm.shape == (12, 12) and cm.sum() == ev["windows"] == 12 and ev["backbone"] == "small_cnn"
    assert ev["accuracy"] == pytest.approx(np.trace(cm) / cm.sum())
    present = [i for i in range(12) if cm[i].sum()]
    assert len(present) == 3
    assert ev["average_accuracy"] == pytest.approx(np.mean([cm[i, i] / cm[i].sum() for i in present]))
    for fn in ("classifier.weights.h5", "confusion_matrix.png", "checkpoints/epoch-001.weights.h5"):
        assert os.path.exists(os.path.join(run, fn))


def test_evaluate_cli_writes_tables_and_figures(setup, tmp_path, capsys):
    out = str(tmp_path / "report")
    argv = ["evaluate", "--shards", setup["shards"], "--classifier", setup["clf"], "--trn", setup["trn"],
            "--model", f"guided={setup['guided']}", "--out", out,
            "--set", f"eval.ndb_k={NDB_K}", "--variants", "normal,off,swapped", "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1].startswith(f"wrote {os.path.join(out, 'report.md')} (12 test windows")
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    names = [r["name"] for r in rep["rows"]]
    assert names == ["Real data", "guided", "guided (guidance off)", "guided (swapped guidance)"]
    assert [r["variant"] for r in rep["rows"]] == [None, "normal", "off", "swapped"]
    assert [line.split(":")[0] for line in printed[:-1]] == names
    assert "onset F1" in printed[0] and "IS" in printed[0]
    s = rep["settings"]
    assert s["test_windows"] == 12 and s["train_windows"] == 24 and s["ndb"]["k"] == NDB_K
    assert s["classifier"]["backbone"] == "small_cnn" and s["classifier"]["feature_dim"] == 128

    # the Real data row is the classifier's accuracy on the real test clips (its eval.json)
    with open(os.path.join(setup["clf"], "eval.json")) as f:
        ev = json.load(f)
    real = rep["rows"][0]
    assert real["accuracy"]["accuracy"] == pytest.approx(ev["accuracy"])
    assert real["accuracy"]["average_accuracy"] == pytest.approx(ev["average_accuracy"])
    for r in rep["rows"]:
        assert r["ndb"]["ndb"] == sum(r["ndb"]["different"]) and r["ndb"]["ndb_over_k"] == r["ndb"]["ndb"] / NDB_K
        assert sum(r["ndb"]["generated_proportions"]) == pytest.approx(1.0)
        assert 1.0 - 1e-9 <= r["is"]["whole"] <= 12 and r["is"]["splits"] == 10 and r["fid"] >= -1e-6
        assert set(r["ndb_per_class"]) == {"footstep", "clock", "rain"}
    # real audio vs the sidecar events (synthetic bursts): the detector finds them
    assert real["sync"]["clips_scored"] == 8 and real["sync"]["f1"] > 0.9
    assert real["sync"]["reference"] == {"events": 8, "real_onsets": 0}
    # the untrained generator is far from the real clips in the classifier's feature space
    assert all(r["fid"] > real["fid"] for r in rep["rows"][1:])
    # the variants change only the guidance: same z and class, so the rows differ only through S_act
    assert rep["rows"][1]["fid"] != rep["rows"][2]["fid"]

    with open(os.path.join(out, "report.md")) as f:
        md = f.read()
    assert "| Samples | IS | IS (splits) | FID | NDB | NDB/K | Average accuracy (%) |" in md
    assert "## Synchronisation" in md and "## NDB per class (Table III layout" in md
    assert f"| Real data | {real['is']['whole']:.2f} |" in md and "| guided (swapped guidance) |" in md
    import matplotlib.image

    for png in ("rainbowgrams.png", "spectrograms.png"):
        img = matplotlib.image.imread(os.path.join(out, png))
        assert img.shape[0] > 300 and img.shape[1] > 400 and img[..., :3].std() > 0.05
    assert not [f for f in os.listdir(out) if ".tmp-" in f]


def test_known_answers_with_replayed_audio(setup, tf):
    """A "generator" replaying the real test clips scores exactly like the Real data row; silence
    and audio 200 ms late lose the sync scores."""
    from foleygan_tf.config import Config
    from foleygan_tf.evaluation.report import evaluate_models

    waves, labels, events = _test_windows(setup["shards"])
    cfg = Config.load(os.path.join(setup["guided"], "config.json"))
    cfg.gan.guidance = "none"                                         # no TRN needed, no variant rows
    cfg.eval.ndb_k = NDB_K
    late = np.roll(waves, int(0.2 * cfg.audio.sample_rate), axis=1)
    rep = evaluate_models(setup["shards"], [
        ("replay", Replay(cfg, waves)), ("silence", Replay(cfg, np.zeros_like(waves))), ("late", Replay(cfg, late))],
        classifier=setup["clf"], config=cfg, variants=("normal", "off", "swapped"), batch_size=5, progress=False)
    real, replay, silence, shifted = rep["rows"]                       # no variants of unguided models
    assert replay["name"] == "replay" and rep["settings"]["guidance_source"] is None
    assert replay["is"] == real["is"] and replay["ndb"]["ndb"] == real["ndb"]["ndb"]
    assert replay["fid"] == pytest.approx(real["fid"], abs=1e-6)
    assert replay["accuracy"] == real["accuracy"] and replay["ndb_per_class"] == real["ndb_per_class"]
    assert replay["sync"] == real["sync"]
    assert silence["sync"]["recall"] == 0.0 and silence["sync"]["f1"] == 0.0
    assert silence["sync"]["pooled"]["num_estimated"] == 0 and silence["sync"]["pooled"]["f1"] == 0.0
    assert silence["sync"]["clips_scored"] == real["sync"]["clips_scored"]
    assert silence["fid"] > real["fid"]
    # 200 ms late: outside the ±100 ms window → recall collapses
    assert shifted["sync"]["recall"] < 0.3 < real["sync"]["recall"]
    assert shifted["sync"]["pooled"]["recall"] < 0.3 < real["sync"]["pooled"]["recall"]


def test_sync_only_report_without_a_classifier(setup, tmp_path, capsys, tf):
    """Without --classifier the report has the sync scores only. Pooled P/R/F1 sum the onset counts
    of the scored windows (each window's real part against its events); recomputed here for the
    real clips from the onset functions, overall and per class."""
    from foleygan_tf.audio.onsets import detect_onsets, onset_scores, pooled_onsets
    from foleygan_tf.data.pipeline import example_dataset

    out = tmp_path / "sync"
    assert main(["evaluate", "--shards", setup["shards"], "--model", f"guided={setup['guided']}", "--trn",
                 setup["trn"], "--variants", "off,normal", "--out", str(out), "--no-plots", "--quiet"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    rep = json.loads((out / "report.json").read_text())
    assert sorted(os.listdir(out)) == ["report.json", "report.md"]
    assert rep["settings"]["classifier"] is None and "train_windows" not in rep["settings"]
    assert [r["name"] for r in rep["rows"]] == ["Real data", "guided (guidance off)", "guided"]
    assert all("is" not in r and "fid" not in r for r in rep["rows"])
    assert printed[0].startswith("Real data: onset F1 ") and "IS" not in printed[0]
    md = (out / "report.md").read_text()
    assert "## Quality" not in md and "| pooled P | pooled R | pooled F1 |" in md and "Pooled onset F1 per class" in md

    by_class, sr = {}, 689
    for e in example_dataset(setup["shards"], "test"):
        events = e["events"].numpy()[: int(e["num_events"])]
        if not len(events):
            continue
        cut = int(round(float(e["valid_seconds"]) * sr))
        s = onset_scores(events[events < cut / sr], detect_onsets(e["wave"].numpy()[:cut], sr))
        by_class.setdefault(e["class_name"].numpy().decode(), []).append(s)
    real = rep["rows"][0]["sync"]
    want = pooled_onsets(s for v in by_class.values() for s in v)
    assert real["clips_scored"] == sum(len(v) for v in by_class.values()) == 8
    for key in ("num_reference", "num_estimated", "num_matched", "precision", "recall", "f1"):
        assert real["pooled"][key] == pytest.approx(want[key]), key
    assert set(real["per_class"]) == set(by_class) == {"footstep", "clock"}
    for c, v in by_class.items():
        assert real["per_class"][c]["f1"] == pytest.approx(pooled_onsets(v)["f1"])
    assert real["f1"] == pytest.approx(np.mean([s["f1"] for v in by_class.values() for s in v]))


def test_clip_sync_finds_a_late_track(tf):
    """Clicks 150 ms after the events: P/R at ±100 ms are 0, the AV offset (onset envelope ×
    P_act cross-correlation) recovers +150 ms."""
    from foleygan_tf.evaluation.sync import clip_sync

    sr, fps = 689, 8.0
    events = [0.4, 1.1, 1.9, 2.5]
    t = np.arange(3 * sr) / sr

    def clicks(times):
        w = 0.001 * np.random.default_rng(0).standard_normal(len(t))
        for e in times:
            m = t >= e
            w[m] += np.exp(-(t[m] - e) / 0.03) * np.sin(2 * np.pi * 120 * (t[m] - e))
        return w.astype(np.float32)

    pairs = (np.arange(23) + 0.5) / fps
    p_act = np.clip(1 - np.abs(pairs[:, None] - np.array(events)[None]).min(1) * fps, 0, 1)
    on_time = clip_sync(clicks(events), events, p_act, fps, sr, 0.1)
    late = clip_sync(clicks([e + 0.15 for e in events]), events, p_act, fps, sr, 0.1)
    assert on_time["f1"] == 1.0 and on_time["mean_abs_offset_ms"] < 30
    assert abs(on_time["av_offset_s"]) <= 0.05 and on_time["av_correlation"] > late["av_correlation"]
    assert late["recall"] == 0.0 and late["av_offset_s"] == pytest.approx(0.15, abs=0.05)
    assert clip_sync(clicks(events), events, np.full(23, 0.5), fps, sr, 0.1)["av_offset_s"] is None  # flat P_act


def test_rainbowgram_of_a_tone():
    from foleygan_tf.evaluation.rainbowgram import log_magnitude, rainbowgram

    sr, n = 689, 2067
    tone = np.sin(2 * np.pi * 86.125 * np.arange(n) / sr)        # bin 16 of a 128-point FFT
    img = rainbowgram(tone, 128, 32)
    assert img.shape == (65, 61, 3) and 0 <= img.min() and img.max() <= 1
    brightness = img.max(axis=2)
    assert int(np.argmax(brightness.mean(axis=1))) == 16
    # a steady tone: constant colour (instantaneous frequency) along time at its bin
    assert img[16, 1:].std(axis=0).max() < 0.02
    mag = log_magnitude(tone, 128, 32)
    assert mag.max() == 1.0 and mag[16].mean() > 0.95 and mag[40].mean() < 0.3


def test_evaluate_errors_are_one_line(setup, tmp_path, capsys):
    base = ["evaluate", "--shards", setup["shards"], "--classifier", setup["clf"], "--out", str(tmp_path / "o"),
            "--set", f"eval.ndb_k={NDB_K}", "--quiet"]

    def err(argv):
        assert main(argv) == 2
        e = capsys.readouterr().err.strip()
        assert e.startswith("foleygan: error:") and "\n" not in e
        return e

    assert "nope: model 'nope' is not a directory" in err(base + ["--model", str(tmp_path / "nope")])
    # no model named: the bundled compact-preset models, which do not fit the tiny shards
    assert "model 'default'" in err(base) and "does not match the shards" in err(base)
    assert "not both" in err(base + ["--models", setup["guided"], "--model", setup["guided"]])
    unknown = err(base + ["--model", setup["guided"], "--trn", setup["trn"], "--variants", "normal,shuffled"])
    assert "unknown guidance variant(s) shuffled — choose from normal, off, swapped" in unknown
    guided = ["--model", setup["guided"], "--trn", setup["trn"]]
    assert "classifier" in err(base[:-3] + ["--preset", "small", "--quiet"] + guided)
    assert "--trn" in err(base + ["--model", setup["guided"]])                    # guided model, no TRN
    assert "neither" in err(base + ["--model", f"x={setup['shards']}"])            # not a model dir
    assert "eval.ndb_k" in err(base[:-3] + ["--set", "eval.ndb_k=40", "--quiet"] + guided)
    assert not os.path.exists(tmp_path / "o" / "report.md")


@pytest.mark.slow
def test_exported_model_scores_like_its_run_directory(setup, tmp_path, tf):
    """The SavedModel export of a run gives the same report row as the run directory (same EMA
    generator, decode and post-filter graph). ~40 s."""
    from foleygan_tf.config import get_preset
    from foleygan_tf.evaluation.report import evaluate_models

    models = str(tmp_path / "models")
    assert main(["export", setup["trn"], setup["guided"], models, "--no-verify"]) == 0
    cfg = get_preset("tiny")
    cfg.eval.ndb_k = NDB_K
    rep = evaluate_models(setup["shards"], [("run", setup["guided"]), ("export", models)], classifier=setup["clf"],
                          trn=setup["trn"], config=cfg, progress=False)
    run, export = rep["rows"][1:]
    assert export["source"] == "saved_model" and run["source"] == "run"
    assert export["is"]["whole"] == pytest.approx(run["is"]["whole"], rel=1e-4)
    assert export["fid"] == pytest.approx(run["fid"], rel=1e-3, abs=1e-3)
    assert export["ndb"]["ndb"] == run["ndb"]["ndb"] and export["accuracy"] == run["accuracy"]
    assert export["sync"]["f1"] == pytest.approx(run["sync"]["f1"], abs=1e-6)


def test_saved_model_guidance_refuses_frames_at_another_rate(tf):
    """The bundled TRN export was trained at 24 fps: windows prepared at 8 fps are refused in one
    line (their P_act would be off the generator's training distribution), 24 fps ones are scored."""
    from foleygan_tf.evaluation.report import _SavedModelTRN

    trn = _SavedModelTRN(os.path.join(os.path.dirname(__file__), "..", "saved_models", "default", "trn"))
    assert trn.frame_rate == 24.0

    def batch(t, fps):
        return {"frames": tf.zeros([2, t, 32, 32, 3], tf.uint8), "num_frames": tf.constant([t, t]),
                "fps": tf.constant([fps, fps], tf.float32)}

    with pytest.raises(ValueError, match=r"frames at \[8\.0\] fps, but the TRN export expects 24 fps"):
        trn.p_act(batch(24, 8.0))
    got = trn.p_act(batch(72, 24.0))
    assert [p.shape for p in got] == [(71,), (71,)]
