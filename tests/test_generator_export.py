"""`foleygan export generator`: SavedModel of the EMA generator + decoder + ISTFT + post-filter —
parity with the Keras EMA generator in a fresh process without foleygan_tf, saved_model_cli
show/run (the TF1 session path TF Serving uses), sample_z, the filter switch, 8 concurrent callers,
atomic writes and one-line errors."""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from foleygan_tf.cli import main
from tests.helpers.export_checks import check_replace_and_refusals
from tests.helpers.shared_fixture import built_once

BIN = os.path.dirname(sys.executable)

LOAD_SCRIPT = textwrap.dedent("""
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import numpy as np
    import tensorflow as tf
    model_dir, inputs_path, out_path = sys.argv[1:4]
    loaded = tf.saved_model.load(model_dir)
    serve = loaded.signatures["serving_default"]
    data = dict(np.load(inputs_path))
    a = serve(**{k: tf.constant(v) for k, v in data.items()})
    b = serve(**{k: tf.constant(v) for k, v in data.items()})
    draw = loaded.signatures["sample_z"]
    z1 = draw(seed=tf.constant(7, tf.int64), num=tf.constant(4), truncation=tf.constant(0.5))["z"]
    z2 = draw(seed=tf.constant(7, tf.int64), num=tf.constant(4), truncation=tf.constant(0.5))["z"]
    z3 = draw(seed=tf.constant(8, tf.int64), num=tf.constant(4), truncation=tf.constant(0.0))["z"]
    np.savez(out_path, spectrogram=a["spectrogram"].numpy(), waveform=a["waveform"].numpy(),
             spectrogram_again=b["spectrogram"].numpy(), waveform_again=b["waveform"].numpy(),
             z1=z1.numpy(), z2=z2.numpy(), z3=z3.numpy(),
             foleygan_imported=np.array(any(m.startswith("foleygan_tf") for m in sys.modules)))
""")


def make_gan_run(run_dir, tf, perturb_ema=True):
    """A tiny-preset GAN run directory: config.json + checkpoints/ckpt-4 written with
    FoleyGAN.checkpoint() (the EMA weights perturbed so that they differ from G's)."""
    from foleygan_tf.config import get_preset
    from foleygan_tf.training.fit_gan import build_gan

    cfg = get_preset("tiny")
    os.makedirs(os.path.join(run_dir, "checkpoints"), exist_ok=True)
    cfg.save(os.path.join(run_dir, "config.json"))
    gan = build_gan(cfg)
    if perturb_ema:
        rng = np.random.default_rng(1)
        for v in gan.ema_generator.trainable_variables:
            v.assign(v.numpy() + 0.05 * rng.standard_normal(v.shape).astype("float32"))
    manager = tf.train.CheckpointManager(gan.checkpoint(), os.path.join(run_dir, "checkpoints"), max_to_keep=3)
    manager.save(checkpoint_number=4)
    return cfg


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tf):
    from foleygan_tf.config import Config

    def build(root):
        run, out = str(root / "run"), str(root / "sm")
        make_gan_run(run, tf)
        assert main(["export", "generator", run, out]) == 0
        return {"run": run, "out": out}

    paths = built_once(tmp_path_factory, "generator_export", build)
    return paths["run"], paths["out"], Config.load(os.path.join(paths["run"], "config.json"))


def _inputs(cfg, n=3, seed=0):
    rng = np.random.default_rng(seed)
    r, c = cfg.audio.image_size, cfg.num_classes
    probs = np.eye(c, dtype=np.float32)[rng.integers(0, c, n)]
    probs[-1] = rng.dirichlet(np.ones(c)).astype(np.float32)  # a soft class vector too
    return {"z": rng.standard_normal((n, cfg.gan.z_dim)).astype(np.float32), "class_probs": probs,
            "action_spectrogram": rng.uniform(-1, 1, (n, r, r, 3)).astype(np.float32),
            "action_curve": rng.uniform(0, 1, (n, r)).astype(np.float32)}


def _keras_reference(run, cfg, inputs, tf):
    """The EMA generator restored the way training does (FoleyGAN.checkpoint() after compile), the
    codec's decode and the numpy twin of the post-filter."""
    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.inference.postfilter import lowpass_taps, apply_fir
    from foleygan_tf.training.fit_gan import build_gan

    gan = build_gan(cfg)
    gan.checkpoint().restore(tf.train.latest_checkpoint(os.path.join(run, "checkpoints"))).assert_existing_objects_matched()
    g_in = {"z": inputs["z"], "class": inputs["class_probs"], "action_spectrogram": inputs["action_spectrogram"],
            "action_curve": inputs["action_curve"]}
    image = gan.ema_generator(g_in, training=False).numpy()
    raw = SpectrogramCodec(cfg.audio).decode(image).numpy()
    wave = apply_fir(raw, lowpass_taps(cfg.gan.post_filter_length, 0.75))
    plain_g = gan.generator(g_in, training=False).numpy()
    return image, wave, raw, plain_g


def test_export_matches_keras_ema_generator_in_a_fresh_process(exported, tmp_path, capsys, tf):
    run, sm, cfg = exported
    inputs = _inputs(cfg)
    np.savez(tmp_path / "in.npz", **inputs)
    script = tmp_path / "load.py"
    script.write_text(LOAD_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(script), sm, str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = np.load(tmp_path / "out.npz")
    assert not bool(got["foleygan_imported"])
    n, r = 3, cfg.audio.image_size
    assert got["spectrogram"].shape == (n, r, r, 3) and got["waveform"].shape == (n, cfg.audio.clip_samples)
    np.testing.assert_array_equal(got["spectrogram"], got["spectrogram_again"])  # deterministic
    np.testing.assert_array_equal(got["waveform"], got["waveform_again"])

    image, wave, raw, plain_g = _keras_reference(run, cfg, inputs, tf)
    spec_err = float(np.abs(got["spectrogram"] - image).max())
    # the graph's decode + filter, given the same image: the Keras codec + the numpy filter
    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.inference.postfilter import apply_fir, lowpass_taps

    same_image = apply_fir(SpectrogramCodec(cfg.audio).decode(got["spectrogram"]).numpy(), lowpass_taps(512, 0.75))
    decode_err = float(np.abs(got["waveform"] - same_image).max() / np.abs(same_image).max())
    # end to end: the LMS decoder integrates the IF channel over time and refines the phase with
    # Griffin-Lim, so the ~1e-6 image differences grow to ~1e-3 of the peak (docs/inference.md)
    wave_err = float(np.abs(got["waveform"] - wave).max() / np.abs(wave).max())
    # stated tolerances (docs/inference.md): 1e-5 image, 1e-4 of the peak for decode + filter of the
    # same image, 2e-2 of the peak end to end
    assert spec_err <= 1e-5 and decode_err <= 1e-4 and wave_err <= 2e-2, (spec_err, decode_err, wave_err)
    # the export is the EMA generator, not G (their weights differ in this run)
    assert float(np.abs(got["spectrogram"] - plain_g).max()) > 100 * max(spec_err, 1e-6)
    # the low-pass really filtered: the raw decode has more energy above the cut-off
    assert float(np.abs(raw - wave).max()) > 100 * float(np.abs(got["waveform"] - wave).max())

    z1, z2, z3 = got["z1"], got["z2"], got["z3"]
    assert z1.shape == (4, cfg.gan.z_dim) and np.array_equal(z1, z2)       # seeded, reproducible
    assert np.abs(z1).max() <= 0.5 and z1.std() > 0.2              # true truncation
    assert np.abs(z3).max() > 1.5                                          # truncation 0 = none
    with capsys.disabled():
        print(f"\ngenerator export parity: spectrogram max|Δ| {spec_err:.2e}; waveform max|Δ|/peak: same image "
              f"{decode_err:.2e}, end to end {wave_err:.2e}")


def test_saved_model_cli_show_and_run(exported, tmp_path, tf):
    _, sm, cfg = exported
    show = subprocess.run([os.path.join(BIN, "saved_model_cli"), "show", "--all", "--dir", sm],
                          capture_output=True, text=True, timeout=300)
    assert show.returncode == 0, show.stderr[-2000:]
    sig = show.stdout.split("signature_def['serving_default']", 1)[1].split("Method name is", 1)[0]
    r, z, c = cfg.audio.image_size, cfg.gan.z_dim, cfg.num_classes
    for name, shape in (("z", f"(-1, {z})"), ("class_probs", f"(-1, {c})"),
                        ("action_spectrogram", f"(-1, {r}, {r}, 3)"), ("action_curve", f"(-1, {r})")):
        part = sig.split(f"inputs['{name}']", 1)[1].split("name:", 1)[0]
        assert "DT_FLOAT" in part and shape in part, (name, part)
    for name, shape in (("spectrogram", f"(-1, {r}, {r}, 3)"), ("waveform", f"(-1, {cfg.audio.clip_samples})")):
        part = sig.split(f"outputs['{name}']", 1)[1].split("name:", 1)[0]
        assert "DT_FLOAT" in part and shape in part, (name, part)
    assert "signature_def['sample_z']" in show.stdout

    # `saved_model_cli run` loads through a TF1 session — the path TF Serving takes
    inputs = _inputs(cfg, n=2, seed=5)
    for k, v in inputs.items():
        np.save(tmp_path / f"{k}.npy", v)
    spec = ";".join(f"{k}={tmp_path / (k + '.npy')}" for k in inputs)
    outdir = tmp_path / "cli_out"
    run = subprocess.run([os.path.join(BIN, "saved_model_cli"), "run", "--dir", sm, "--tag_set", "serve",
                          "--signature_def", "serving_default", "--inputs", spec, "--outdir", str(outdir)],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert run.returncode == 0, run.stderr[-3000:]
    wave = np.load(outdir / "waveform.npy")
    ref = tf.saved_model.load(sm).signatures["serving_default"](**{k: tf.constant(v) for k, v in inputs.items()})
    assert wave.shape == (2, cfg.audio.clip_samples) and np.all(np.isfinite(wave))
    np.testing.assert_allclose(wave, ref["waveform"].numpy(), atol=1e-5 * float(np.abs(wave).max()))
    np.testing.assert_allclose(np.load(outdir / "spectrogram.npy"), ref["spectrogram"].numpy(), atol=1e-5)


def test_concurrent_callers_get_the_sequential_answers(exported, tf):
    _, sm, cfg = exported
    serve = tf.saved_model.load(sm).signatures["serving_default"]
    batches = [_inputs(cfg, n=1 + i % 2, seed=10 + i) for i in range(8)]
    want = [serve(**{k: tf.constant(v) for k, v in b.items()})["waveform"].numpy() for b in batches]
    got, errors = [None] * 8, []

    def call(i):
        try:
            got[i] = serve(**{k: tf.constant(v) for k, v in batches[i].items()})["waveform"].numpy()
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(repr(err))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    for g, w in zip(got, want):
        assert g is not None and np.all(np.isfinite(g))
        np.testing.assert_allclose(g, w, atol=1e-6 * max(1.0, float(np.abs(w).max())))


def test_filter_switch_metadata_atomic_overwrite_and_errors(exported, tmp_path, capsys, tf):
    from foleygan_tf.inference.postfilter import apply_fir, lowpass_taps

    run, sm, cfg = exported
    with open(os.path.join(sm, "assets", "foleygan_generator.json")) as f:
        meta = json.load(f)
    assert meta["class_names"] == list(cfg.class_names) and meta["sample_rate"] == cfg.audio.sample_rate
    assert meta["clip_samples"] == cfg.audio.clip_samples and meta["z_dim"] == cfg.gan.z_dim
    assert meta["post_filter"]["kind"] == "lowpass" and meta["post_filter"]["length"] == 512
    assert meta["config"]["name"] == "tiny" and meta["weights"] == "ema_generator"
    assert set(meta["signatures"]["serving_default"]["outputs"]) == {"spectrogram", "waveform"}

    # --post-filter none: the raw decode; filtering it with the numpy twin gives the default export
    raw_dir = str(tmp_path / "raw")
    assert main(["export", "generator", run, raw_dir, "--post-filter", "none", "--no-verify"]) == 0
    inputs = {k: tf.constant(v) for k, v in _inputs(cfg, n=2, seed=3).items()}
    raw = tf.saved_model.load(raw_dir).signatures["serving_default"](**inputs)["waveform"].numpy()
    filtered = tf.saved_model.load(sm).signatures["serving_default"](**inputs)["waveform"].numpy()
    np.testing.assert_allclose(apply_fir(raw, lowpass_taps(512, 0.75)), filtered, atol=1e-5 * np.abs(filtered).max())
    assert np.abs(raw - filtered).max() > 1e-3 * np.abs(raw).max()

    busy = check_replace_and_refusals("generator", run, raw_dir, ["--post-filter", "none"], tmp_path, capsys)
    empty_run = tmp_path / "empty_run"
    empty_run.mkdir()
    cfg.save(str(empty_run / "config.json"))
    assert main(["export", "generator", str(empty_run), str(tmp_path / "y")]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    # `foleygan export RUN_DIR... DIR` without a kind: a non-run directory is named in one line
    assert main(["export", str(busy), str(tmp_path / "models")]) == 2
    err = capsys.readouterr().err.strip()
    assert "neither" in err and "\n" not in err
    # --pact-gain without a TRN run is refused, not ignored, and nothing is written
    assert main(["export", "all", run, str(tmp_path / "gained"), "--pact-gain", "1.5"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no TRN run" in err and run in err and "\n" not in err
    assert not os.path.exists(tmp_path / "gained")


def test_cqt_models_are_refused(tf):
    from foleygan_tf.config import apply_overrides, get_preset
    from foleygan_tf.inference.generator_export import GeneratorServingModule

    cfg = apply_overrides(get_preset("tiny"), ["audio.encoding=cqt"])
    with pytest.raises(ValueError, match="cqt"):
        GeneratorServingModule(generator=None, config=cfg)
    with pytest.raises(ValueError, match="post_filter"):
        GeneratorServingModule(generator=None, config=get_preset("tiny"), post_filter="median")


def test_bfloat16_export_is_close_to_float32_and_records_its_dtype(exported, tmp_path, tf):
    """`--dtype bfloat16`: same interface (float32 in/out), G computed in bf16, decode in float32.
    Bounds measured on this tiny run: image SNR ≈ 40 dB; a broken cast (e.g. the image truncated to
    integers, or weights not restored) gives ≈ 0 dB."""
    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.benchmarking.generator import quality

    run, out32, cfg = exported
    out16 = str(tmp_path / "sm_bf16")
    assert main(["export", "generator", run, out16, "--dtype", "bfloat16"]) == 0
    with open(os.path.join(out16, "assets", "foleygan_generator.json")) as f:
        meta = json.load(f)
    assert meta["compute_dtype"] == "bfloat16"
    with open(os.path.join(out32, "assets", "foleygan_generator.json")) as f:
        assert json.load(f)["compute_dtype"] == "float32"
    data = {k: tf.constant(v) for k, v in _inputs(cfg, n=3, seed=5).items()}
    got = {}
    for name, d in (("f32", out32), ("bf16", out16)):
        sig = tf.saved_model.load(d).signatures["serving_default"]
        assert [s.dtype for s in sig.structured_input_signature[1].values()] == [tf.float32] * 4
        res = sig(**data)
        assert res["spectrogram"].dtype == tf.float32 and res["waveform"].dtype == tf.float32
        got[name] = {k: v.numpy() for k, v in res.items()}
    assert not np.array_equal(got["f32"]["spectrogram"], got["bf16"]["spectrogram"])  # it really is bf16
    q = quality(SpectrogramCodec(cfg.audio), got["f32"], got["bf16"])
    assert q["image_snr_db"] >= 30.0, q
    assert q["spectral_convergence"] <= 0.35, q
    broken = {"spectrogram": np.trunc(got["bf16"]["spectrogram"]), "waveform": got["bf16"]["waveform"]}
    assert quality(SpectrogramCodec(cfg.audio), got["f32"], broken)["image_snr_db"] < 30.0


def test_refine_iters_changes_only_the_decoder(exported, tmp_path, capsys, tf):
    """`--refine-iters 0`: the same network and image, the waveform decoded with G's own LMS phase
    and no Griffin-Lim (the codec's plain ISTFT of that image); recorded in the metadata."""
    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.inference.postfilter import apply_fir, lowpass_taps

    run, sm, cfg = exported
    out0 = str(tmp_path / "sm_gl0")
    assert main(["export", "generator", run, out0, "--refine-iters", "0", "--no-verify"]) == 0
    with open(os.path.join(out0, "assets", "foleygan_generator.json")) as f:
        assert json.load(f)["config"]["audio"]["lms_refine_iters"] == 0
    with open(os.path.join(sm, "assets", "foleygan_generator.json")) as f:
        assert json.load(f)["config"]["audio"]["lms_refine_iters"] == cfg.audio.lms_refine_iters > 0
    data = {k: tf.constant(v) for k, v in _inputs(cfg, n=2, seed=7).items()}
    a = tf.saved_model.load(sm).signatures["serving_default"](**data)
    b = tf.saved_model.load(out0).signatures["serving_default"](**data)
    np.testing.assert_allclose(a["spectrogram"].numpy(), b["spectrogram"].numpy(), atol=1e-6)
    audio0 = dataclasses.replace(cfg.audio, lms_refine_iters=0)
    want = apply_fir(SpectrogramCodec(audio0).decode(b["spectrogram"]).numpy(), lowpass_taps(512, 0.75))
    wave = b["waveform"].numpy()
    np.testing.assert_allclose(wave, want, atol=1e-4 * np.abs(want).max())
    assert np.abs(wave - a["waveform"].numpy()).max() > 1e-2 * np.abs(wave).max()
    capsys.readouterr()
    assert main(["export", "generator", run, str(tmp_path / "neg"), "--refine-iters", "-1"]) == 2
    assert "refine_iters must be ≥ 0" in capsys.readouterr().err
