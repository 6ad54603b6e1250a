"""fit_trn on a tiny in-memory synthetic dataset (foleygan_tf/training/trn.py)."""

import json

import numpy as np
import pytest


def moving_shapes(n_clips, num_frames=8, size=32, seed=0):
    """3 classes of moving shapes on a noisy background, random position/colour/speed per clip:
    0 = a square sliding horizontally, 1 = a disc sliding vertically, 2 = a blinking cross.
    Returns uint8 frames [n, T, size, size, 3] and int32 labels [n]."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n_clips) % 3
    rng.shuffle(labels)
    frames = np.zeros((n_clips, num_frames, size, size, 3), np.uint8)
    r = size // 6
    yy, xx = np.mgrid[:size, :size]
    for i, c in enumerate(labels):
        colour = rng.integers(140, 256, 3)
        x0, y0 = rng.integers(r, size - r, 2)
        speed = rng.uniform(0.5, 1.5) * size / num_frames
        for t in range(num_frames):
            f = rng.integers(0, 70, (size, size, 3))
            if c == 0:
                x = r + (x0 + speed * t) % (size - 2 * r)
                mask = (np.abs(xx - x) <= r) & (np.abs(yy - y0) <= r)
            elif c == 1:
                y = r + (y0 + speed * t) % (size - 2 * r)
                mask = (xx - x0) ** 2 + (yy - y) ** 2 <= r * r
            else:
                mask = ((np.abs(xx - x0) <= r // 3) & (np.abs(yy - y0) <= r)) | (
                    (np.abs(yy - y0) <= r // 3) & (np.abs(xx - x0) <= r))
                mask &= t % 2 == 0
            f[mask] = colour
            frames[i, t] = f
    return frames, labels.astype(np.int32)


def _cfg():
    from foleygan_tf.config import apply_overrides, get_preset

    return apply_overrides(get_preset("tiny"), ["num_classes=3"])


def test_fit_trn_trains_in_two_stages_and_resumes(tf, tmp_path):
    """§V-B: the MTRN (with the backbone) and then the 2TRN, each with its own optimizer and
    epochs; the 2TRN stage leaves the backbone and the MTRN untouched; more epochs continue."""
    from foleygan_tf.config import Config
    from foleygan_tf.training.trn import fit_trn, load_trn

    cfg = _cfg()
    x, y = moving_shapes(12, num_frames=6, seed=0)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(6)
    run = tmp_path / "run"
    model, hist = fit_trn(cfg, ds, ds, str(run), epochs=1, pair_epochs=0)
    assert [(r["stage"], r["epoch"], r["step"]) for r in hist] == [("class", 1, 2)]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert np.isfinite(hist[0][key])
    assert Config.load(run / "config.json").num_classes == 3
    assert (run / "trn.weights.h5").exists() and (run / "checkpoints" / "class-epoch-001.weights.h5").exists()
    assert any((run / "tensorboard" / "class").iterdir())
    class_vars = [v.numpy().copy() for v in model.stage_variables("class")]
    pair_vars = [v.numpy().copy() for v in model.stage_variables("pair")]
    # the pair stage: dict elements are accepted too, with per-clip lengths of a padded batch
    dict_ds = ds.map(lambda f, l: {"frames": f, "label": l, "num_frames": tf.constant([6, 4, 6, 5, 6, 3])})
    model, hist = fit_trn(cfg, dict_ds, None, str(run), epochs=1, pair_epochs=2, model=model)
    assert [(r["stage"], r["epoch"], r["step"]) for r in hist] == [("class", 1, 2), ("pair", 1, 2), ("pair", 2, 4)]
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(class_vars, model.stage_variables("class")))
    assert any(not np.array_equal(a, v.numpy()) for a, v in zip(pair_vars, model.stage_variables("pair")))
    # a new process resumes each stage where it stopped, optimizer state included (step count)
    _, hist = fit_trn(cfg, ds, None, str(run), epochs=2, pair_epochs=3)
    with open(run / "history.json") as f:
        on_disk = json.load(f)
    assert [(r["stage"], r["epoch"], r["step"]) for r in on_disk] == [
        ("class", 1, 2), ("pair", 1, 2), ("pair", 2, 4), ("class", 2, 4), ("pair", 3, 6)] == [
        (r["stage"], r["epoch"], r["step"]) for r in hist]
    # the saved run reloads and predicts deterministically
    loaded = load_trn(str(run))
    a, b = loaded.predict_actions(x[:2]), loaded.predict_actions(x[:2])
    np.testing.assert_array_equal(a["class_probs"].numpy(), b["class_probs"].numpy())
    assert a["p_act"].shape == (2, 5)
    with pytest.raises(FileNotFoundError):
        load_trn(str(tmp_path / "nothing"))
    with pytest.raises(ValueError, match="steps_per_epoch"):
        fit_trn(cfg, ds.repeat(), None, str(tmp_path / "other"), epochs=1)


@pytest.mark.slow
def test_fit_trn_learns_moving_shapes(tf, tmp_path):
    from foleygan_tf.training.trn import fit_trn

    cfg = _cfg()
    xtr, ytr = moving_shapes(96, seed=0)
    xva, yva = moving_shapes(48, seed=1)
    train = tf.data.Dataset.from_tensor_slices((xtr, ytr)).shuffle(96, seed=0).batch(16)
    val = tf.data.Dataset.from_tensor_slices((xva, yva)).batch(16)
    model, hist = fit_trn(cfg, train, val, str(tmp_path / "run"), epochs=15, pair_epochs=1)
    pred = model.predict_actions(xva)["class_index"].numpy()
    accuracy = float(np.mean(pred == yva))
    mtrn = [r for r in hist if r["stage"] == "class"]
    print(f"moving shapes: val accuracy {accuracy:.3f} (deterministic MTRN), "
          f"fit val_accuracy {mtrn[-1]['val_accuracy']:.3f}, train accuracy {mtrn[-1]['accuracy']:.3f}")
    assert accuracy >= 0.8  # chance is 1/3
    assert mtrn[-1]["loss"] < mtrn[0]["loss"]


@pytest.mark.slow
def test_resnet50_recognizer_fine_tunes(tf, tmp_path):
    """One fit step with the ResNet-50 backbone and local 'pretrained' weights: convolutions change,
    the frozen BatchNorm statistics do not."""
    import keras

    from foleygan_tf.config import apply_overrides
    from foleygan_tf.models import build_action_recognizer
    from foleygan_tf.video.features import build_frame_encoder, save_backbone_weights

    cfg = apply_overrides(_cfg(), ["video.backbone=resnet50", "video.feature_dim=2048",
                                   "video.frame_size=32"])
    weights = tmp_path / "notop.weights.h5"
    save_backbone_weights(build_frame_encoder("resnet50", 32, 2048), weights)
    cfg.video.imagenet_weights = str(weights)
    model = build_action_recognizer(cfg)
    resnet = model.encoder.layers[-1]
    conv = resnet.get_layer("conv1_conv").kernel
    bn = resnet.get_layer("conv1_bn").moving_mean
    conv0, bn0 = conv.numpy().copy(), bn.numpy().copy()
    x, y = moving_shapes(4, num_frames=4, seed=0)
    model.set_stage("class")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(2), epochs=1, verbose=0, shuffle=False)
    assert np.abs(conv.numpy() - conv0).max() > 0
    np.testing.assert_array_equal(bn.numpy(), bn0)
