"""Numerical faults: an inf injected into a training batch stops GAN training with a clear record
and leaves the last good checkpoint intact (the NaN guard of training/gan_callbacks.py, through
`fit_gan`); the exported SavedModels called with wrong shapes/dtypes give clear errors — through
`FoleyPipeline` (ValueError naming the problem) and as raw `tf.saved_model.load` signature calls
(what those raise is documented in docs/reliability.md and pinned here)."""

import json
import os
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POISONED_BATCH = 3          # train steps 0-2 are good, step 3 sees an inf pixel


def _poisoned_dataset(cfg, tf):
    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    from tests.helpers.gan_data import gan_examples

    from foleygan_tf.training.fit_gan import global_batch_size

    n = global_batch_size(cfg)
    ex = gan_examples(cfg, n * 8, seed=0)
    ex["image"][POISONED_BATCH * n + 1, 5, 7, 0] = np.inf     # one pixel of one real spectrogram
    return tf.data.Dataset.from_tensor_slices(ex).batch(n, drop_remainder=True)


@pytest.mark.slow
def test_inf_in_a_batch_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, tf):
    from foleygan_tf.config import apply_overrides, get_preset
    from foleygan_tf.training.fit_gan import fit_gan

    cfg = apply_overrides(get_preset("tiny"), ["train.checkpoint_every=1", "train.log_every=1",
                                               "train.d_pretrain_updates=0"])
    per_step = cfg.train.accumulation_steps * cfg.train.d_steps           # micro-batches per train step
    run = tmp_path / "run"
    result = fit_gan(cfg, _poisoned_dataset(cfg, tf), str(run), steps=8 * per_step, verbose=0)

    # stopped on the poisoned step, with the offending record
    d = result["diverged"]
    assert d is not None and d["step"] == (POISONED_BATCH + 1) * per_step, d
    assert not all(np.isfinite(d[k]) for k in ("d_loss", "g_loss", "d_real", "d_fake")), d
    assert result["steps_done"] == (POISONED_BATCH + 1) * per_step        # no step after it
    # the checkpoints on disk are the good ones only; the newest restores to finite weights
    ckpt_dir = run / "checkpoints"
    good_updates = POISONED_BATCH * cfg.train.d_steps
    numbers = sorted(int(f.split("-")[1].split(".")[0]) for f in os.listdir(ckpt_dir) if f.endswith(".index"))
    assert numbers[-1] == good_updates, numbers
    assert tf.train.latest_checkpoint(str(ckpt_dir)).endswith(f"ckpt-{good_updates}")
    reader = tf.train.load_checkpoint(str(ckpt_dir))
    floats = {name: reader.get_tensor(name) for name, _ in tf.train.list_variables(str(ckpt_dir))
              if name != "_CHECKPOINTABLE_OBJECT_GRAPH"}
    floats = {k: v for k, v in floats.items() if np.asarray(v).dtype.kind == "f"}
    assert len(floats) > 50 and all(np.all(np.isfinite(v)) for v in floats.values())
    # the in-memory model *is* poisoned (the update was applied) — which is why nothing was saved
    assert not all(np.all(np.isfinite(w.numpy())) for w in result["gan"].discriminator.weights)
    # history on disk: the good steps only
    history = json.loads((run / "history.json").read_text())
    assert [r["step"] for r in history] == [per_step * (k + 1) for k in range(POISONED_BATCH)]
    assert all(np.isfinite(r["d_loss"]) for r in history)
    # and the run resumes from the good checkpoint with clean data
    from tests.helpers.gan_data import gan_dataset

    again = fit_gan(cfg, gan_dataset(cfg), str(run), steps=(POISONED_BATCH + 1) * per_step, verbose=0)
    assert again["diverged"] is None and again["resumed"]
    assert all(np.all(np.isfinite(w.numpy())) for w in again["gan"].discriminator.weights)


# ---- SavedModels called with wrong inputs ------------------------------------------------------

def test_pipeline_rejects_bad_frames_in_one_line(pipeline):
    ok = np.zeros((6, 32, 32, 3), np.uint8)
    cases = [
        (np.zeros((6, 32, 32), np.uint8), 24.0, "expected RGB frames [T, H, W, 3]"),     # grey, no channel axis
        (np.zeros((6, 32, 32, 1), np.uint8), 24.0, "expected RGB frames [T, H, W, 3]"),
        (np.zeros((0, 32, 32, 3), np.uint8), 24.0, "with T ≥ 1"),
        (np.zeros((6, 32, 32, 4), np.uint8), 24.0, "got shape (6, 32, 32, 4)"),
        (np.zeros((6, 32, 32, 3), np.float32), 24.0, "expected uint8 frames"),
        (ok, 0.0, "fps must be a positive number"),
        (ok, float("nan"), "fps must be a positive number"),
    ]
    for frames, fps, words in cases:
        with pytest.raises(ValueError) as info:
            pipeline.synthesize(frames, fps)
        assert words in str(info.value) and "\n" not in str(info.value), (frames.shape, fps, str(info.value))
    with pytest.raises(ValueError, match="unknown class 'banjo'"):
        pipeline.synthesize(ok, 24.0, class_name="banjo")
    with pytest.raises(ValueError, match="truncation must be"):
        pipeline.synthesize(ok, 24.0, truncation=0.01)
    r = pipeline.synthesize(ok, 24.0)                     # the valid call still works afterwards
    assert r["wave"].shape == (int(round(6 / 24 * pipeline.sample_rate)),) and np.all(np.isfinite(r["wave"]))


def _gen_inputs(pipe, tf, batch=1):
    r = int(pipe.gen_meta["image_size"])
    return {"z": tf.zeros([batch, int(pipe.gen_meta["z_dim"])]),
            "class_probs": tf.one_hot([0] * batch, len(pipe.class_names)),
            "action_spectrogram": tf.zeros([batch, r, r, 3]), "action_curve": tf.zeros([batch, r])}


def test_raw_signature_calls_with_wrong_shapes_and_dtypes(models_dir, tf):
    """Plain ``tf.saved_model.load`` (what a serving client does). Documented behaviour:
    wrong dtype → InvalidArgumentError "… expected to be a float tensor but is a double tensor";
    missing/positional arguments → TypeError; wrong sizes → InvalidArgumentError from the
    generator's shape asserts naming the input and its expected shape."""
    from tensorflow.errors import InvalidArgumentError

    gen = tf.saved_model.load(os.path.join(models_dir, "generator"))
    trn = tf.saved_model.load(os.path.join(models_dir, "trn"))
    g, t, sz = gen.signatures["serving_default"], trn.signatures["serving_default"], gen.signatures["sample_z"]
    meta = json.load(open(gen.metadata_file.asset_path.numpy().decode()))
    r, zd, c = int(meta["image_size"]), int(meta["z_dim"]), len(meta["class_names"])
    ok = {"z": tf.zeros([2, zd]), "class_probs": tf.one_hot([0, 1], c),
          "action_spectrogram": tf.zeros([2, r, r, 3]), "action_curve": tf.zeros([2, r])}
    out = g(**ok)
    assert out["waveform"].shape == (2, meta["clip_samples"]) and np.all(np.isfinite(out["waveform"].numpy()))
    assert g(**{k: v.numpy() for k, v in ok.items()})["waveform"].shape[0] == 2    # numpy inputs are fine

    cases = [   # (inputs, exception, words in its message)
        (dict(ok, z=tf.zeros([2, zd], tf.float64)), InvalidArgumentError,
         "expected to be a float tensor but is a double"),
        (dict(ok, class_probs=tf.one_hot([0, 1], c, dtype=tf.int32)), InvalidArgumentError,
         "expected to be a float tensor but is a int32"),
        (dict(ok, z=tf.zeros([3, zd])), InvalidArgumentError, "class_probs: one row per z"),
        (dict(ok, z=tf.zeros([2, zd + 1])), InvalidArgumentError, f"z: expected [batch, {zd}]"),
        (dict(ok, class_probs=tf.one_hot([0, 1], c + 1)), InvalidArgumentError, f"class_probs: expected [batch, {c}]"),
        (dict(ok, action_spectrogram=tf.zeros([2, r // 2, r // 2, 3])), InvalidArgumentError,
         f"action_spectrogram: expected [batch, {r}, {r}, 3]"),
        (dict(ok, action_curve=tf.zeros([2, r + 1])), InvalidArgumentError, f"action_curve: expected [batch, {r}]"),
        ({k: v for k, v in ok.items() if k != "z"}, TypeError, "missing a required argument: 'z'"),
    ]
    for inputs, exc, words in cases:
        with pytest.raises(exc) as info:
            g(**inputs)
        assert words in str(info.value), (list(inputs), str(info.value)[:300])
    tcases = [
        (dict(frames=tf.zeros([1, 4, 32, 32, 3]), fps=tf.constant([24.0])), "expected to be a uint8 tensor"),
        (dict(frames=tf.zeros([1, 0, 32, 32, 3], tf.uint8), fps=tf.constant([24.0])), "the clip has no frame"),
        (dict(frames=tf.zeros([1, 4, 32, 32, 3], tf.uint8), fps=tf.constant([0.0])), "fps must be > 0"),
        (dict(frames=tf.zeros([4, 32, 32, 3], tf.uint8), fps=tf.constant([24.0])), ""),   # rank 4: rejected
    ]
    for inputs, words in tcases:
        with pytest.raises((InvalidArgumentError, ValueError)) as info:
            t(**inputs)
        assert words in str(info.value), str(info.value)[:300]
    with pytest.raises(InvalidArgumentError, match="expected to be a int64 tensor"):
        sz(seed=tf.constant(1), num=tf.constant(1), truncation=tf.constant(1.0))
    with pytest.raises(InvalidArgumentError, match="truncation must be"):
        sz(seed=tf.constant(1, tf.int64), num=tf.constant(1), truncation=tf.constant(0.01))


def test_nan_guard_callback_keeps_the_last_good_checkpoint(tmp_path, tf):
    """Default-run companion of the slow fit_gan test: GANRunKeeper alone, driven by a stand-in
    model whose step 3 produces a NaN loss (and NaN weights): training is stopped, nothing is
    saved, the newest checkpoint restores the weights of step 2."""
    from foleygan_tf.training.gan import METRIC_NAMES
    from foleygan_tf.training.gan_callbacks import GANRunKeeper

    class Model:  # the attributes GANRunKeeper reads from FoleyGAN
        accumulation_steps, d_steps, micro_batches_per_step = 2, 2, 4

        def __init__(self):
            self.updates, self.stop_training = 0, False
            self.weight = tf.Variable(0.0)
            self.g_updates = tf.Variable(0)
            self.last_values = {k: tf.Variable(1.0) for k in METRIC_NAMES}

        def optimizer_updates(self):
            return self.updates

    class Run:
        def write_history(self, history):
            (tmp_path / "history.json").write_text(json.dumps(history))

    model = Model()
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(weight=model.weight), str(tmp_path / "ckpt"), 3)
    keeper = GANRunKeeper(Run(), manager, [], log_every=1, checkpoint_every=1)
    keeper.set_model(model)
    for step, loss in enumerate([0.9, 0.8, float("nan")], 1):
        if model.stop_training:
            break
        model.updates += model.d_steps
        model.weight.assign(float("nan") if np.isnan(loss) else float(step))
        model.last_values["d_loss"].assign(loss)
        keeper.on_train_batch_end(step - 1)
    keeper.on_train_end()
    assert model.stop_training and keeper.diverged["optimizer_updates"] == 6 and keeper.diverged["step"] == 12
    assert np.isnan(keeper.diverged["d_loss"])
    assert manager.latest_checkpoint.endswith("ckpt-4")
    restored = tf.Variable(123.0)
    tf.train.Checkpoint(weight=restored).restore(manager.latest_checkpoint).assert_consumed()
    assert float(restored.numpy()) == 2.0
    assert [r["step"] for r in json.loads((tmp_path / "history.json").read_text())] == [4, 8]
