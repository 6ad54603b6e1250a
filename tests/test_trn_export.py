"""`foleygan export trn`: SavedModel of the action recognizer — parity with the Keras model in a
fresh process without foleygan_tf, saved_model_cli listing, short clips, atomic writes."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from foleygan_tf.cli import main
from tests.helpers.export_checks import check_replace_and_refusals
from tests.helpers.shared_fixture import built_once

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
OUTPUT_NAMES = {"class_probs", "class_index", "class_name", "p_act", "action_spectrogram", "action_curve"}

# Runs in a fresh interpreter: plain TensorFlow only (checked: foleygan_tf never gets imported).
LOAD_SCRIPT = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import numpy as np
    import tensorflow as tf
    model_dir, inputs_path, out_path = sys.argv[1:4]
    loaded = tf.saved_model.load(model_dir)
    serve = loaded.signatures["serving_default"]
    data = np.load(inputs_path)
    result = {}

    def plain(t):  # strings come back as object arrays of bytes: store them as fixed-width bytes
        v = t.numpy() if hasattr(t, "numpy") else np.asarray(t)
        return v.astype("S") if v.dtype == object else v

    for name in sorted({k.split("/")[0] for k in data.files}):
        a = serve(frames=tf.constant(data[name + "/frames"]), fps=tf.constant(data[name + "/fps"]))
        b = serve(frames=tf.constant(data[name + "/frames"]), fps=tf.constant(data[name + "/fps"]))
        for key, value in a.items():
            result[f"{name}/{key}"] = plain(value)
            result[f"{name}/{key}/again"] = plain(b[key])
    try:
        serve(frames=tf.zeros([1, 0, 8, 8, 3], tf.uint8), fps=tf.constant([8.0]))
        result["empty_error"] = np.array("no error")
    except tf.errors.InvalidArgumentError as err:
        result["empty_error"] = np.array(err.message)
    with open(loaded.metadata_file.asset_path.numpy().decode()) as f:
        meta = json.load(f)
    result["meta_class_names"] = np.array(meta["class_names"])
    result["class_names"] = plain(loaded.class_names)
    result["foleygan_imported"] = np.array(any(m.startswith("foleygan_tf") for m in sys.modules))
    np.savez(out_path, **result)
""")


@pytest.fixture(scope="module", params=["difference", "rgb_difference"])
def exported(request, tmp_path_factory, tf):
    """A briefly trained run (tiny preset, 12 classes, random clips) and its export — with the
    default 2TRN input and with the motion stream of the default models."""
    from foleygan_tf.config import apply_overrides, get_preset
    from foleygan_tf.training.trn import fit_trn

    cfg = apply_overrides(get_preset("tiny"), [f"trn.pair_input={request.param}"])

    def build(root):
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (16, 12, 32, 32, 3)).astype(np.uint8)
        y = (np.arange(16) % 12).astype(np.int32)
        ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
        run, out = str(root / "run"), str(root / "sm")
        fit_trn(cfg, ds, None, run, epochs=1)
        assert main(["export", "trn", run, out]) == 0
        return {"run": run, "out": out}

    paths = built_once(tmp_path_factory, f"trn_export-{request.param}", build)
    return paths["run"], paths["out"], cfg


def _inputs(cfg):
    rng = np.random.default_rng(3)
    s = cfg.video.frame_size
    return {
        "native": (rng.integers(0, 256, (2, 10, s, s, 3)).astype(np.uint8), np.array([8.0, 24.0], np.float32)),
        "resized": (rng.integers(0, 256, (1, 9, 48, 40, 3)).astype(np.uint8), np.array([29.97], np.float32)),
        "five": (rng.integers(0, 256, (2, 5, s, s, 3)).astype(np.uint8), np.array([8.0, 8.0], np.float32)),
        "one": (rng.integers(0, 256, (1, 1, s, s, 3)).astype(np.uint8), np.array([8.0], np.float32)),
    }


def _keras_outputs(model, cfg, frames, fps):
    from foleygan_tf.models.action_spectrogram import ActionSpectrogram

    out = model.predict_actions(frames)
    act = ActionSpectrogram(cfg.audio)(out["p_act"], fps)
    return {"class_probs": out["class_probs"].numpy(), "class_index": out["class_index"].numpy(),
            "p_act": out["p_act"].numpy(), "action_spectrogram": act["s_act"].numpy(),
            "action_curve": act["p_act_steps"].numpy()}


def test_export_matches_keras_in_a_fresh_process(exported, tmp_path, capsys, tf):
    from foleygan_tf.training.trn import load_trn

    run, sm, cfg = exported
    inputs = _inputs(cfg)
    np.savez(tmp_path / "in.npz", **{f"{k}/{n}": v for k, (f, p) in inputs.items()
                                     for n, v in (("frames", f), ("fps", p))})
    script = tmp_path / "load.py"
    script.write_text(LOAD_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(script), sm, str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = np.load(tmp_path / "out.npz")
    assert not bool(got["foleygan_imported"])
    assert list(got["class_names"].astype(str)) == list(cfg.class_names) == list(got["meta_class_names"])
    assert "no frame" in str(got["empty_error"])

    model = load_trn(run)
    r = cfg.audio.image_size
    worst = {}
    for name, (frames, fps) in inputs.items():
        want = _keras_outputs(model, cfg, frames, fps)
        b, t = frames.shape[:2]
        shapes = {"class_probs": (b, 12), "class_index": (b,), "class_name": (b,),
                  "p_act": (b, max(t, 2) - 1), "action_spectrogram": (b, r, r, 3), "action_curve": (b, r)}
        for key, shape in shapes.items():
            value = got[f"{name}/{key}"]
            assert value.shape == shape, (name, key, value.shape)
            np.testing.assert_array_equal(value, got[f"{name}/{key}/again"])      # deterministic
            if key == "class_name":
                assert [v.decode() for v in value] == [cfg.class_names[i] for i in want["class_index"]]
            elif key == "class_index":
                np.testing.assert_array_equal(value, want[key])
            elif key == "action_spectrogram":
                # Compared where the magnitude means something, |X| > 0.02 (ch0 > −0.5, −32 dB re a
                # full-scale sample): near the codec's −100 dB floor the log magnitude of float32
                # leakage and the phase are ill-conditioned (a 1e-8 change of P_act moved them by
                # 1e-3 and by up to π). ch1 (mel-warped instantaneous frequency: unwrapped phase,
                # differenced, then warped) stays sensitive above the floor too, so it gets its own
                # looser bound.
                assert np.all(np.isfinite(value))
                audible = want[key][..., 0] > -0.5
                diff = np.abs(value - want[key])
                worst[key] = max(worst.get(key, 0.0), float(diff[..., 0][audible].max(initial=0.0)),
                                 float(diff[..., 2].max()))
                worst["action_spectrogram_if"] = max(worst.get("action_spectrogram_if", 0.0),
                                                     float(diff[..., 1][audible].max(initial=0.0)))
            else:
                assert np.all(np.isfinite(value))
                worst[key] = max(worst.get(key, 0.0), float(np.abs(value - want[key]).max()))
    # stated tolerance (docs/trn.md): 1e-5 on probabilities and P_act, 1e-4 on S_act's magnitude
    # channel above −32 dB, 0.05 on its instantaneous-frequency channel there
    assert worst["class_probs"] <= 1e-5 and worst["p_act"] <= 1e-5 and worst["action_curve"] <= 1e-5, worst
    assert worst["action_spectrogram"] <= 1e-4 and worst["action_spectrogram_if"] <= 0.05, worst
    with capsys.disabled():
        print(f"\nexport parity (max |SavedModel − Keras|): {worst}")


def test_saved_model_cli_lists_the_signature(exported):
    _, sm, cfg = exported
    proc = subprocess.run([os.path.join(BIN, "saved_model_cli"), "show", "--all", "--dir", sm],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = proc.stdout
    assert "signature_def['serving_default']" in text
    sig = text.split("signature_def['serving_default']", 1)[1].split("Method name is", 1)[0]
    assert "inputs['frames']" in sig and "DT_UINT8" in sig and "(-1, -1, -1, -1, 3)" in sig
    assert "inputs['fps']" in sig and "DT_FLOAT" in sig
    for name in OUTPUT_NAMES:
        assert f"outputs['{name}']" in sig
    r = cfg.audio.image_size
    assert f"(-1, {r}, {r}, 3)" in sig and f"(-1, {r})" in sig and "(-1, 12)" in sig


def test_saved_model_cli_run_takes_the_tf_serving_path(exported, tmp_path, tf):
    """`saved_model_cli run` loads through a TF1 session, as TF Serving does (keras#20095 trap)."""
    _, sm, cfg = exported
    rng = np.random.default_rng(3)
    inputs = {"frames": rng.integers(0, 255, (2, 5, 40, 40, 3), dtype=np.uint8),
              "fps": np.array([8.0, 24.0], np.float32)}
    for k, v in inputs.items():
        np.save(tmp_path / f"{k}.npy", v)
    spec = ";".join(f"{k}={tmp_path / (k + '.npy')}" for k in inputs)
    run = subprocess.run([os.path.join(BIN, "saved_model_cli"), "run", "--dir", sm, "--tag_set", "serve",
                          "--signature_def", "serving_default", "--inputs", spec, "--outdir", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert run.returncode == 0, run.stderr[-3000:]
    ref = tf.saved_model.load(sm).signatures["serving_default"](**{k: tf.constant(v) for k, v in inputs.items()})
    np.testing.assert_allclose(np.load(tmp_path / "out" / "class_probs.npy"), ref["class_probs"].numpy(), atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "out" / "p_act.npy"), ref["p_act"].numpy(), atol=1e-6)


def test_saved_model_metadata_reads_the_export_asset(exported, tmp_path, tf):
    """``saved_model_metadata`` of a loaded export is the JSON the export wrote; a SavedModel
    without a metadata asset is a one-line ``ValueError`` naming its path."""
    from foleygan_tf.inference.exports import saved_model_metadata

    _, sm, cfg = exported
    meta = saved_model_metadata(tf.saved_model.load(sm), sm)
    with open(os.path.join(sm, "assets", "foleygan_trn.json")) as f:
        assert meta == json.load(f)
    assert meta["block"] == "trn" and meta["class_names"] == list(cfg.class_names)
    bare = str(tmp_path / "bare")
    tf.saved_model.save(tf.Module(), bare)
    with pytest.raises(ValueError) as err:
        saved_model_metadata(tf.saved_model.load(bare), bare)
    assert str(err.value) == f"{bare}: not a foleygan export (no metadata asset)"


def test_export_metadata_another_pact_gain_and_atomic_overwrite(exported, tmp_path, capsys, tf):
    """Metadata; `--pact-gain G` replaces the run's trn.pact_gain in the export and its metadata
    (same weights: P_act stretched around chance, class outputs unchanged; G ≤ 0 refused);
    replacing an export and the refusals."""
    from foleygan_tf.models.trn import stretch_pact

    run, sm, cfg = exported
    with open(os.path.join(sm, "assets", "foleygan_trn.json")) as f:
        meta = json.load(f)
    assert meta["class_names"] == list(cfg.class_names) and meta["config"]["name"] == "tiny"
    assert set(meta["signature"]["outputs"]) == OUTPUT_NAMES and meta["deterministic"] is True
    assert meta["config"]["trn"]["pact_gain"] == 1.0
    out = str(tmp_path / "again")
    assert main(["export", "trn", run, out, "--pact-gain", "3", "--no-verify"]) == 0
    assert "P_act gain 3" in capsys.readouterr().out
    with open(os.path.join(out, "assets", "foleygan_trn.json")) as f:
        assert json.load(f)["config"]["trn"]["pact_gain"] == 3.0
    s = cfg.video.frame_size
    frames = tf.cast(tf.random.stateless_uniform((1, 12, s, s, 3), (5, 6), 0, 256, tf.int32), tf.uint8)
    fps = tf.constant([8.0])
    plain = tf.saved_model.load(sm).signatures["serving_default"](frames=frames, fps=fps)
    stretched = tf.saved_model.load(out).signatures["serving_default"](frames=frames, fps=fps)
    np.testing.assert_array_equal(plain["class_probs"].numpy(), stretched["class_probs"].numpy())
    expect = np.asarray(stretch_pact(plain["p_act"].numpy(), 3.0, cfg.num_classes))
    np.testing.assert_allclose(stretched["p_act"].numpy(), expect, rtol=1e-5, atol=1e-6)
    assert not np.allclose(stretched["p_act"].numpy(), plain["p_act"].numpy())
    assert main(["export", "trn", run, str(tmp_path / "bad"), "--pact-gain", "0"]) != 0
    assert "trn.pact_gain must be > 0" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "bad")
    check_replace_and_refusals("trn", run, out, [], tmp_path, capsys)

