"""MTRN, 2TRN, frame projection, the action recognizer and the frame feature extractors."""

import itertools
import math

import numpy as np
import pytest


@pytest.fixture(scope="module")
def trn(tf):
    from foleygan_tf.models import trn

    return trn


def _analytic_mtrn(n, d, c, u, g_layers=2):
    return sum(k * d * u + u + (g_layers - 1) * (u * u + u) + u * c + c for k in range(2, n + 1))


def test_mtrn_parameter_count(trn):
    """§V-B: g two 256-unit layers, h one 12-unit layer — 2,777,684 on 256-d frame embeddings."""
    m = trn.MultiScaleTRN(8, 256, 12)
    m.build((None, 8, 256))
    assert m.count_params() == 2_777_684 == _analytic_mtrn(8, 256, 12, 256)
    assert m.count_params() == trn.mtrn_param_count(8, 256, 12, 256)
    one = trn.MultiScaleTRN(num_frames=8, feature_dim=256, num_classes=12, g_layers=1)   # TRN-pytorch's g
    one.build((None, 8, 256))
    assert one.count_params() == 2_317_140 == _analytic_mtrn(8, 256, 12, 256, g_layers=1)
    with pytest.raises(ValueError, match="g_layers"):
        trn.MultiScaleTRN(8, 256, 12, g_layers=3)
    # the relation tables: every ordered k-subset, increasing indices
    for k in range(2, 9):
        table = m.relations[k]
        assert len(table) == math.comb(8, k)
        assert np.all(np.diff(table, axis=1) > 0)
    assert sum(m.num_relations(k) for k in m.scales) == 1 + 6 * 3


def test_build_trn_heads_from_config(trn, paper_cfg, tiny_cfg):
    from foleygan_tf.config import apply_overrides
    from foleygan_tf.models import build_trn_heads

    mtrn, pair = build_trn_heads(paper_cfg)
    assert mtrn.count_params() == 2_777_684
    # the paper's pair [F_t, F_t+1] (R_2 of two frames): 512 inputs → 200,204 parameters
    assert paper_cfg.trn.pair_input == "concat" and pair.pair_input == "concat"
    assert pair.count_params() == (512 * 256 + 256) + (256 * 256 + 256) + (256 * 12 + 12) == 200_204
    assert pair.count_params() == trn.pair_trn_param_count(256, 12, 256, "concat")
    # the feature change F_t+1 − F_t: 256 inputs → 134,668
    _, pair = build_trn_heads(apply_overrides(paper_cfg, ["trn.pair_input=difference"]))
    assert pair.count_params() == (256 * 256 + 256) + (256 * 256 + 256) + (256 * 12 + 12) == 134_668
    assert pair.count_params() == trn.pair_trn_param_count(256, 12, 256, "difference")
    mtrn, pair = build_trn_heads(tiny_cfg)
    t = tiny_cfg.trn
    assert mtrn.count_params() == _analytic_mtrn(tiny_cfg.video.num_segments, t.projection_dim,
                                                 tiny_cfg.num_classes, t.mlp_units, t.mtrn_g_layers)


def test_mtrn_random_relations_redrawn_per_call(tf, trn):
    m = trn.MultiScaleTRN(num_frames=8, feature_dim=16, num_classes=5, mlp_units=16, seed=1)
    x = tf.random.stateless_normal((3, 8, 16), seed=(1, 2))
    a, b = m(x, training=True).numpy(), m(x, training=True).numpy()
    assert np.abs(a - b).max() > 1e-4
    # inside a traced function too (a numpy draw would be frozen at trace time)
    fn = tf.function(lambda x: m(x, training=True))
    outs = [fn(x).numpy() for _ in range(4)]
    assert all(np.abs(outs[0] - o).max() > 1e-4 for o in outs[1:])
    # shared by the batch: identical examples get identical outputs in one call
    same = m(tf.stack([x[0], x[0]]), training=True).numpy()
    np.testing.assert_allclose(same[0], same[1], rtol=1e-6, atol=1e-6)


def test_mtrn_deterministic_mode_is_reproducible_and_the_expectation(tf, trn):
    m = trn.MultiScaleTRN(num_frames=6, feature_dim=8, num_classes=4, mlp_units=8, seed=3)
    x = tf.random.stateless_normal((2, 6, 8), seed=(3, 4))
    d1 = m(x, deterministic=True).numpy()
    d2 = m(x, deterministic=True).numpy()
    np.testing.assert_array_equal(d1, d2)
    fn = tf.function(lambda x: m(x, deterministic=True))
    np.testing.assert_allclose(fn(x).numpy(), d1, rtol=1e-5, atol=1e-5)
    det = trn.MultiScaleTRN.from_config({**m.get_config(), "deterministic": True})
    det.build((None, 6, 8))
    det.set_weights(m.get_weights())
    np.testing.assert_allclose(det(x).numpy(), d1, rtol=1e-5, atol=1e-5)
    # The deterministic output is the expected value of the random output.
    draws = tf.function(lambda x: m(x))
    mean = np.mean([draws(x).numpy() for _ in range(600)], axis=0)
    spread = np.std([draws(x).numpy() for _ in range(50)], axis=0).max()
    assert spread > 1e-3
    assert np.abs(mean - d1).max() < 0.15 * spread + 1e-4


def test_mtrn_matches_reference_computation(tf, trn):
    """Deterministic mode vs. an independent numpy implementation of the reference formula."""
    n, d, c, u, r = 4, 3, 2, 5, 3
    m = trn.MultiScaleTRN(num_frames=n, feature_dim=d, num_classes=c, mlp_units=u,
                          relations_per_scale=r, deterministic=True)
    x = np.random.default_rng(0).normal(size=(2, n, d)).astype(np.float32)
    got = m(x).numpy()
    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    want = np.zeros((2, c))
    for k in range(n, 1, -1):
        (w1, b1), (w2, b2), (w3, b3) = [[v.numpy() for v in layer.weights] for layer in m.scale_layers(k)]
        rels = list(itertools.combinations(range(n), k))
        # h(g(relation)): g = ReLU → Dense(u) → ReLU → Dense(u), h = ReLU → Dense(c)
        logits = [relu(relu(relu(x[:, list(rel)].reshape(2, -1)) @ w1 + b1) @ w2 + b2) @ w3 + b3 for rel in rels]
        count = 1 if k == n else min(r, len(rels))
        want += np.mean(logits, axis=0) * count
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_mtrn_draws_without_replacement(tf, trn):
    # 3 frames, scale 2 has exactly 3 relations: drawing 3 without replacement = all of them,
    # so the random output must equal the deterministic one on every call.
    m = trn.MultiScaleTRN(num_frames=3, feature_dim=4, num_classes=3, mlp_units=6, relations_per_scale=3)
    x = tf.random.stateless_normal((2, 3, 4), seed=(5, 6))
    det = m(x, deterministic=True).numpy()
    for _ in range(5):
        np.testing.assert_allclose(m(x).numpy(), det, rtol=1e-5, atol=1e-5)


def test_mtrn_rejects_wrong_shapes(trn):
    m = trn.MultiScaleTRN(num_frames=8, feature_dim=16, num_classes=3, mlp_units=8)
    with pytest.raises(ValueError):
        m.build((None, 7, 16))
    with pytest.raises(ValueError):
        m.build((None, 8, 15))
    with pytest.raises(ValueError):
        trn.MultiScaleTRN(num_frames=1)


def test_frame_projection(tf, trn):
    p = trn.FrameProjection(projection_dim=6, dropout=0.5)
    x = tf.ones((2, 5, 10))
    assert p(x).shape == (2, 5, 6)
    assert p.count_params() == 10 * 6 + 6
    np.testing.assert_array_equal(p(x, training=False).numpy(), p(x, training=False).numpy())
    assert np.abs(p(x, training=True).numpy() - p(x, training=False).numpy()).max() > 0
    clone = trn.FrameProjection.from_config(p.get_config())
    assert clone.projection_dim == 6 and clone.dropout_rate == 0.5


@pytest.mark.parametrize("mode", ["difference", "concat"])
def test_pair_trn_inputs(tf, trn, mode):
    pair = trn.PairTRN(num_classes=4, mlp_units=8, pair_input=mode)
    x = tf.random.stateless_normal((2, 7, 5), seed=(3, 4))
    feats = pair.pair_features(x).numpy()
    a, b = x[:, :-1].numpy(), x[:, 1:].numpy()
    want = {"difference": b - a, "concat": np.concatenate([a, b], -1)}[mode]
    np.testing.assert_allclose(feats, want, rtol=1e-6, atol=1e-6)
    logits = pair(x).numpy()
    assert logits.shape == (2, 6, 4)
    # "difference": a pair without change gives the same logits whatever the frames look like
    still = pair(tf.stack([x[:, 0], x[:, 0]], axis=1)).numpy()[:, 0]
    if mode == "difference":
        np.testing.assert_allclose(still[0], still[1], rtol=1e-6)
        np.testing.assert_allclose(still[0], pair(tf.zeros((1, 2, 5))).numpy()[0, 0], rtol=1e-6)
    else:
        assert np.abs(still[0] - still[1]).max() > 1e-6
    clone = trn.PairTRN.from_config(pair.get_config())
    assert clone.pair_input == mode


def test_pair_trn_rejects_unknown_input(trn):
    for name in ("sum", "concat_difference"):
        with pytest.raises(ValueError, match="pair_input"):
            trn.PairTRN(num_classes=4, pair_input=name)


def test_pair_trn_consecutive_pairs_and_action_curve(tf, trn):
    pair = trn.PairTRN(num_classes=4, mlp_units=8, pair_input="difference")
    x = tf.random.stateless_normal((2, 7, 5), seed=(7, 8))
    logits = pair(x).numpy()
    assert logits.shape == (2, 6, 4)
    for t in range(6):  # pair t depends only on frames t and t+1, in that order
        np.testing.assert_allclose(logits[:, t], pair(x[:, t:t + 2]).numpy()[:, 0], rtol=1e-5, atol=1e-6)
    swapped = pair(tf.stack([x[:, 1], x[:, 0]], axis=1)).numpy()[:, 0]
    assert np.abs(swapped - logits[:, 0]).max() > 1e-5
    probs = tf.nn.softmax(logits, axis=-1).numpy()
    curve = pair.action_curve(x, class_index=tf.constant([2, 0])).numpy()
    np.testing.assert_allclose(curve, np.stack([probs[0, :, 2], probs[1, :, 0]]), rtol=1e-5)
    class_logits = tf.constant([[0.0, 0.0, 0.0, 9.0], [0.0, 9.0, 0.0, 0.0]])
    curve = trn.action_curve(logits, class_logits=class_logits).numpy()
    np.testing.assert_allclose(curve, np.stack([probs[0, :, 3], probs[1, :, 1]]), rtol=1e-5)
    default = trn.action_curve(logits).numpy()
    expect = [probs[b, :, probs[b].mean(0).argmax()] for b in range(2)]
    np.testing.assert_allclose(default, np.stack(expect), rtol=1e-5)
    assert trn.PairTRN.from_config(pair.get_config()).mlp_units == 8


def test_stretch_pact_around_chance(trn):
    """gain 1 is the raw probability (values under chance included); otherwise the affine stretch
    around 1/C, clipped to [1/C, 1]."""
    p = np.array([[0.01, 0.25, 0.3, 0.5, 0.9]], np.float32)
    np.testing.assert_array_equal(np.asarray(trn.stretch_pact(p, 1.0, 4)), p)
    got = np.asarray(trn.stretch_pact(p, 2.0, 4))
    np.testing.assert_allclose(got, [[0.25, 0.25, 0.35, 0.75, 1.0]], atol=1e-6)
    np.testing.assert_allclose(np.asarray(trn.stretch_pact(p, 0.5, 4)), [[0.25, 0.25, 0.275, 0.375, 0.575]],
                               atol=1e-6)


def test_pact_gain_reaches_predict_actions(tf, trn, tiny_cfg):
    """trn.pact_gain: config → model → get_config; P_act stretched, padded pairs still 0, the class
    outputs untouched; a gain ≤ 0 is refused."""
    import dataclasses

    from foleygan_tf.models import ActionRecognizer, build_action_recognizer

    plain = build_action_recognizer(tiny_cfg, deterministic=True)
    cfg = dataclasses.replace(tiny_cfg, trn=dataclasses.replace(tiny_cfg.trn, pact_gain=3.0))
    stretched = build_action_recognizer(cfg.validate(), deterministic=True)
    stretched.set_weights(plain.get_weights())
    assert stretched.get_config()["pact_gain"] == 3.0
    assert ActionRecognizer.from_config(stretched.get_config()).pact_gain == 3.0
    s = tiny_cfg.video.frame_size
    frames = tf.cast(tf.random.stateless_uniform((2, 9, s, s, 3), (3, 4), 0, 256, tf.int32), tf.uint8)
    batch = {"frames": frames, "num_frames": tf.constant([9, 4])}
    a, b = plain.predict_actions(batch), stretched.predict_actions(batch)
    np.testing.assert_array_equal(a["class_probs"].numpy(), b["class_probs"].numpy())
    expect = np.asarray(trn.stretch_pact(a["p_act"].numpy(), 3.0, tiny_cfg.num_classes))
    np.testing.assert_allclose(b["p_act"].numpy()[0], expect[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b["p_act"].numpy()[1, :3], expect[1, :3], rtol=1e-5, atol=1e-6)
    assert np.all(b["p_act"].numpy()[1, 3:] == 0)
    assert not np.allclose(a["p_act"].numpy()[0], b["p_act"].numpy()[0])
    cfg.trn.pact_gain = 0.0
    with pytest.raises(ValueError, match="trn.pact_gain must be > 0"):
        cfg.validate()
    with pytest.raises(ValueError, match="pact_gain must be > 0, got -1"):    # the model checks its own argument
        ActionRecognizer.from_config({**stretched.get_config(), "pact_gain": -1.0})


@pytest.mark.parametrize("pair_input", ["concat", "difference", "rgb_difference"])
def test_action_recognizer_tiny(tf, trn, tiny_cfg, pair_input):
    from foleygan_tf.config import apply_overrides
    from foleygan_tf.models import ActionRecognizer, build_action_recognizer

    tiny_cfg = apply_overrides(tiny_cfg, [f"trn.pair_input={pair_input}"])
    model = build_action_recognizer(tiny_cfg)
    s = tiny_cfg.video.frame_size
    frames = tf.cast(tf.random.stateless_uniform((2, 13, s, s, 3), (1, 1), 0, 256, tf.int32), tf.uint8)
    out = model(frames, training=False)
    assert out["class_logits"].shape == (2, tiny_cfg.num_classes)
    assert out["pair_logits"].shape == (2, 12, tiny_cfg.num_classes)
    a = model.predict_actions(frames)
    b = model.predict_actions(frames)
    np.testing.assert_array_equal(a["class_probs"].numpy(), b["class_probs"].numpy())
    np.testing.assert_array_equal(a["p_act"].numpy(), b["p_act"].numpy())
    assert a["p_act"].shape == (2, 12)
    assert np.all((a["p_act"].numpy() >= 0) & (a["p_act"].numpy() <= 1))
    # short clips (1 frame → one pair) and frames of another size (resized in the graph)
    assert model(frames[:, :1])["pair_logits"].shape == (2, 1, tiny_cfg.num_classes)
    big = tf.image.resize(tf.reshape(frames, (-1, s, s, 3)), (2 * s, 3 * s))
    big = tf.cast(tf.reshape(big, (2, 13, 2 * s, 3 * s, 3)), tf.uint8)
    assert model(big)["pair_logits"].shape == (2, 12, tiny_cfg.num_classes)
    # padded batch of clips of different lengths: each example = the unpadded clip on its own
    lengths = [13, 5]
    padded = tf.concat([frames[1:2, :5], tf.zeros_like(frames[1:2, 5:])], axis=1)
    padded = tf.concat([frames[:1], padded], axis=0)
    out = model.predict_actions({"frames": padded, "num_frames": tf.constant(lengths)})
    assert out["num_pairs"].numpy().tolist() == [12, 4]
    alone = model.predict_actions(frames[1:2, :5])
    np.testing.assert_allclose(out["class_probs"].numpy()[1], alone["class_probs"].numpy()[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out["p_act"].numpy()[1, :4], alone["p_act"].numpy()[0], rtol=1e-4, atol=1e-6)
    assert np.all(out["p_act"].numpy()[1, 4:] == 0)
    np.testing.assert_allclose(out["p_act"].numpy()[0], a["p_act"].numpy()[0], rtol=1e-4, atol=1e-6)
    # serialisation: explicit arguments, no config tree
    config = model.get_config()
    assert config["pair_input"] == pair_input and config["mtrn_g_layers"] == tiny_cfg.trn.mtrn_g_layers
    clone = ActionRecognizer.from_config(config)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict_actions(frames)["p_act"].numpy(), a["p_act"].numpy(),
                               rtol=1e-5, atol=1e-6)


def test_rgb_difference_motion_stream(tf, trn, tiny_cfg):
    """trn.pair_input=rgb_difference: pair t sees only frame_t+1 − frame_t (a still pair gives the
    same P_act whatever the scene), and a change of a few pixels moves the pair's features."""
    from foleygan_tf.config import apply_overrides

    from foleygan_tf.models import build_action_recognizer, build_trn_heads

    cfg = apply_overrides(tiny_cfg, ["trn.pair_input=rgb_difference"])
    model = build_action_recognizer(cfg)
    assert model.motion_encoder is not None
    from foleygan_tf.config import get_preset

    assert build_action_recognizer(apply_overrides(get_preset("tiny"), ["trn.pair_input=difference"])
                                   ).motion_encoder is None
    s = cfg.video.frame_size
    rng = np.random.default_rng(0)
    scene = rng.integers(0, 256, (2, 1, s, s, 3)).astype(np.uint8)
    frames = np.repeat(scene, 6, axis=1)                       # two still clips of 6 frames
    frames[:, 3, 10:12, 20:22] = 255 - frames[:, 3, 10:12, 20:22]   # a 2×2-pixel blink in frame 3
    logits = model(tf.constant(frames))["pair_logits"].numpy()  # [2, 5, C]
    still = logits[:, [0, 1, 4]].reshape(-1, logits.shape[-1])
    np.testing.assert_allclose(still, np.broadcast_to(still[0], still.shape), rtol=1e-5, atol=1e-5)
    moved = model._motion_features(tf.constant(frames), False).numpy()      # [2, 5, 2d]
    assert moved.shape == (2, 5, 2 * min(cfg.video.feature_dim, 256))
    assert np.abs(moved[:, 2] - moved[:, 0]).max() > 1e-3 and np.abs(moved[:, 3] - moved[:, 0]).max() > 1e-3
    # the pair head's parameter count follows the motion width
    _, pair = build_trn_heads(cfg)
    assert pair.count_params() == trn.pair_trn_param_count(2 * cfg.video.feature_dim, cfg.num_classes,
                                                           cfg.trn.mlp_units, "rgb_difference")


# ---- frame feature extractors -------------------------------------------------------------------

def test_small_cnn_encoder_is_trainable(tf, tiny_cfg):
    from foleygan_tf.video.features import build_frame_encoder

    v = tiny_cfg.video
    enc = build_frame_encoder(v.backbone, v.frame_size, v.feature_dim)
    s = tiny_cfg.video.frame_size
    x = tf.cast(tf.random.stateless_uniform((4, s, s, 3), (2, 2), 0, 256, tf.int32), tf.uint8)
    assert enc(x).shape == (4, tiny_cfg.video.feature_dim)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(enc(x, training=True)))
    grads = tape.gradient(loss, enc.trainable_variables)
    assert len(enc.trainable_variables) > 0
    assert all(g is not None for g in grads)
    assert sum(float(tf.reduce_sum(tf.abs(g))) for g in grads) > 0
    with pytest.raises(ValueError, match="backbone"):
        build_frame_encoder("vgg", v.frame_size, v.feature_dim)


def test_resnet50_features_and_local_weights(tf, tiny_cfg, tmp_path):
    import keras

    from foleygan_tf.video.features import build_frame_encoder, save_backbone_weights

    enc = build_frame_encoder("resnet50", 32, 2048)
    x = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    feats = enc(x).numpy()
    assert feats.shape == (2, 2048)
    assert enc.count_params() == 23_587_712  # keras ResNet50 no-top
    path = tmp_path / "resnet50_notop.weights.h5"
    save_backbone_weights(enc, path)
    loaded = build_frame_encoder("resnet50", 32, 2048, str(path))
    np.testing.assert_allclose(loaded(x).numpy(), feats, rtol=1e-5, atol=1e-5)
    fresh = build_frame_encoder("resnet50", 32, 2048)
    assert np.abs(fresh(x).numpy() - feats).max() > 1e-3  # a new random init differs
    # pretrained → BatchNorm frozen, convolutions still trainable (fine-tuning)
    inner = loaded.layers[-1]
    bns = [l for l in inner.layers if isinstance(l, keras.layers.BatchNormalization)]
    convs = [l for l in inner.layers if isinstance(l, keras.layers.Conv2D)]
    assert bns and not any(l.trainable for l in bns)
    assert convs and all(l.trainable for l in convs)
    assert len(loaded.trainable_variables) == 2 * len(convs)
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        build_frame_encoder("resnet50", 32, 2048, str(tmp_path / "nope.h5"))
    with pytest.raises(ValueError, match="2048"):
        build_frame_encoder("resnet50", 32, 256)


def test_resnet50_legacy_h5_weights(tf, tiny_cfg, tmp_path):
    """Keras' distributed ``…_notop.h5`` files use the legacy HDF5 layout: loading works."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    from foleygan_tf.video.features import build_frame_encoder

    enc = build_frame_encoder("resnet50", 32, 2048)
    path = tmp_path / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, enc.layers[-1])
    loaded = build_frame_encoder("resnet50", 32, 2048, str(path))
    x = np.random.default_rng(1).integers(0, 256, (1, 32, 32, 3)).astype(np.uint8)
    np.testing.assert_allclose(loaded(x).numpy(), enc(x).numpy(), rtol=1e-5, atol=1e-5)


def test_saved_model_export_deterministic_and_random(tf, trn, tiny_cfg, tmp_path):
    """The recognizer exports with tf.saved_model; the deterministic signature answers the same
    twice, while a random-mode MTRN inside a SavedModel still redraws its relations per call."""
    from foleygan_tf.models import build_action_recognizer

    model = build_action_recognizer(tiny_cfg, deterministic=True)
    s = tiny_cfg.video.frame_size

    class Export(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        @tf.function(input_signature=[tf.TensorSpec([None, None, None, None, 3], tf.uint8, name="frames")])
        def serve(self, frames):
            return self.model.predict_actions(frames)

        @tf.function(input_signature=[tf.TensorSpec([None, None, None, None, 3], tf.uint8, name="frames")])
        def serve_random(self, frames):
            return {"class_logits": self.model(frames, training=False, deterministic=False)["class_logits"]}

    module = Export()
    path = str(tmp_path / "trn_sm")
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve,
                                                  "random": module.serve_random})
    loaded = tf.saved_model.load(path)
    frames = tf.constant(np.random.default_rng(0).integers(0, 256, (2, 10, s + 8, s, 3)).astype(np.uint8))
    a = loaded.signatures["serving_default"](frames=frames)
    b = loaded.signatures["serving_default"](frames=frames)
    for key in ("class_probs", "class_index", "p_act"):
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy())
    eager = model.predict_actions(frames)
    np.testing.assert_allclose(a["p_act"].numpy(), eager["p_act"].numpy(), rtol=1e-5, atol=1e-6)
    r1 = loaded.signatures["random"](frames=frames)["class_logits"].numpy()
    r2 = loaded.signatures["random"](frames=frames)["class_logits"].numpy()
    assert np.abs(r1 - r2).max() > 1e-6
