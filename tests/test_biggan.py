"""BigGAN G and D: fidelity to the reference counts, shapes, attention placement, visual guidance,
class inputs, FLOP counters, mixed precision / XLA, sampling helpers and `foleygan describe`."""

import contextlib
import io
import json

import numpy as np
import pytest


@pytest.fixture(scope="module")
def M(tf):
    import foleygan_tf.models as models

    return models


def _cfg(preset="tiny", *overrides):
    from foleygan_tf.config import apply_overrides, get_preset

    return apply_overrides(get_preset(preset), list(overrides))


def _params(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _g_inputs(cfg, batch=2, seed=0, classes=None):
    rng = np.random.default_rng(seed)
    r = cfg.audio.image_size
    return {
        "z": rng.standard_normal((batch, cfg.gan.z_dim)).astype("float32"),
        "class": np.asarray(classes if classes is not None else np.arange(batch) % cfg.num_classes),
        "action_spectrogram": rng.uniform(-1, 1, (batch, r, r, 3)).astype("float32"),
        "action_curve": rng.uniform(0, 1, (batch, r)).astype("float32"),
    }


# ---- an independent analytic count of the BigGAN-PyTorch layout ------------------------------------

_G_TABLE = {64: [16, 8, 4, 2], 256: [16, 8, 8, 4, 2, 1], 512: [16, 8, 8, 4, 2, 1, 1]}
_D_TABLE = {64: [1, 2, 4, 8, 16], 256: [1, 2, 4, 8, 8, 16, 16], 512: [1, 1, 2, 4, 8, 8, 16, 16]}


def _attention_params(c):
    c8, c2 = max(2, c // 8), max(2, c // 2)
    return 2 * c * c8 + 2 * c * c2 + 1


def _vanilla_counts(cfg):
    """PyTorch parameter counts of vanilla BigGAN G and D (no guidance), from the tables alone."""
    ch, nc, r = cfg.gan.ch, cfg.num_classes, cfg.audio.image_size
    outs = [m * ch for m in _G_TABLE[r]]
    ins = [16 * ch] + outs[:-1]
    zc = cfg.gan.z_dim // (len(outs) + 1)
    cond = cfg.gan.shared_dim + zc
    g = nc * cfg.gan.shared_dim + zc * 16 * 16 * ch + 16 * 16 * ch
    for i, o in zip(ins, outs):
        g += 2 * cond * i + 9 * i * o + o + 2 * cond * o + 9 * o * o + o + i * o + o
    g += _attention_params(outs[[8 * 2 ** k for k in range(len(outs))].index(cfg.gan.attention_resolution)])
    g += 2 * outs[-1] + 9 * outs[-1] * 3 + 3
    douts = [m * ch for m in _D_TABLE[r]]
    dins = [3] + douts[:-1]
    d, res = 0, r
    for k, (i, o) in enumerate(zip(dins, douts)):
        down = k < len(douts) - 1
        d += 9 * i * o + o + 9 * o * o + o + (i * o + o if (i != o or down) else 0)
        res //= 2 if down else 1
        if res == cfg.gan.attention_resolution and down:
            d += _attention_params(o)
    d += douts[-1] + 1 + nc * douts[-1]
    return g, d


def _describe(*argv):
    from foleygan_tf.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["describe", *argv, "--json"]) == 0
    return json.loads(out.getvalue())


# ---- fidelity -------------------------------------------------------------------------------------

def test_paper_preset_matches_biggan_reference_counts(M):
    """BigGAN-512, 1000 classes, z=160, no guidance: G 82,468,068 and D 99,401,282 parameters."""
    report = _describe("--preset", "paper", "--set", "gan.guidance=none", "--set", "num_classes=1000")
    g, d = report["generator"], report["discriminator"]
    assert g["params"] == 82_468_068
    assert d["params"] == 99_401_282
    assert (g["params"], d["params"]) == _vanilla_counts(_cfg("paper", "gan.guidance=none", "num_classes=1000"))
    # buffers are not parameters; the per-block breakdown adds up
    assert g["non_trainable"] > 0 and d["non_trainable"] > 0
    assert sum(b["params"] for b in g["blocks"].values()) == g["params"]
    assert sum(b["params"] for b in d["blocks"].values()) == d["params"]
    assert "attention_64" in g["blocks"] and "attention_64" in d["blocks"]
    assert sum(b["gflops"] for b in g["blocks"].values()) == pytest.approx(g["gflops"])


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_guidance_none_is_vanilla_biggan(M, preset):
    cfg = _cfg(preset, "gan.guidance=none")
    G, D = M.build_generator(cfg), M.build_discriminator(cfg)
    assert G.guidance is None
    assert (_params(G), _params(D)) == _vanilla_counts(cfg)


def test_guidance_adds_exactly_the_encoder(M):
    """Guidance adds the encoder plus the wider block inputs (spatial) / cond vectors (global)."""
    cfg0 = _cfg("tiny", "gan.guidance=none")
    base = _params(M.build_generator(cfg0))
    gc = cfg0.gan.guidance_channels
    cond0 = cfg0.gan.shared_dim + cfg0.gan.z_dim // 5
    for mode in ("global", "spatial", "both"):
        G = M.build_generator(_cfg("tiny", f"gan.guidance={mode}"))
        s = gc if mode in ("spatial", "both") else 0    # extra block-input channels
        g = gc if mode in ("global", "both") else 0     # extra cond-vector entries
        widened = 0
        for i, o, _ in G.arch:
            widened += 2 * (cond0 + g) * (i + s) - 2 * cond0 * i   # CBN 1 gain + bias
            widened += 2 * g * o                                   # CBN 2 gain + bias
            widened += 9 * s * o + s * o                           # conv3×3 and 1×1 shortcut
        assert _params(G.guidance) > 0
        assert _params(G) - base == _params(G.guidance) + widened, mode


# ---- shapes, range, attention placement -------------------------------------------------------------

@pytest.mark.parametrize("preset", ["tiny", "bundled", "small"])
def test_output_shapes_and_range(M, preset):
    cfg = _cfg(preset)
    G, D = M.build_generator(cfg), M.build_discriminator(cfg)
    inputs = _g_inputs(cfg, batch=2 if preset == "tiny" else 1)
    r = cfg.audio.image_size
    for training in (True, False):
        x = G(inputs, training=training)
        assert tuple(x.shape) == (len(inputs["z"]), r, r, 3) and x.dtype == "float32"
        assert np.all(np.abs(x.numpy()) <= 1.0) and np.isfinite(x.numpy()).all()
        d_inputs = {"image": x, "class": inputs["class"]}
        if D.sees_action:   # the bundled preset's D(x, S_act, y)
            d_inputs["action_spectrogram"] = inputs["action_spectrogram"]
        logits = D(d_inputs, training=training)
        assert tuple(logits.shape) == (len(inputs["z"]), 1)


@pytest.mark.slow
def test_paper_preset_shapes(M):
    cfg = _cfg("paper")
    G = M.build_generator(cfg)
    x = G(_g_inputs(cfg, batch=1), training=False)
    assert tuple(x.shape) == (1, 512, 512, 3)
    D = M.build_discriminator(cfg)
    assert tuple(D({"image": x, "class": np.array([3])}).shape) == (1, 1)


@pytest.mark.parametrize("preset,res", [("tiny", 32), ("tiny", 16), ("small", 64), ("small", 128)])
def test_attention_sits_at_configured_resolution(M, preset, res):
    cfg = _cfg(preset, f"gan.attention_resolution={res}")
    G, D = M.build_generator(cfg), M.build_discriminator(cfg)
    assert G.attention_resolution() == res and D.attention_resolution() == res
    # the attention width is the width of the feature map at that resolution
    g_block = G.arch[G.attention_index]
    assert 2 * g_block[2] == res and G.attention.channels == g_block[1]
    d_block = D.arch[D.attention_index]
    assert d_block[3] // 2 == res and D.attention.channels == d_block[1]


def test_config_errors(M):
    with pytest.raises(ValueError, match="divisible by 5"):
        M.build_generator(_cfg("tiny", "gan.z_dim=61"))
    with pytest.raises(ValueError, match="attention_resolution"):
        M.build_generator(_cfg("tiny", "gan.attention_resolution=24"))
    G = M.build_generator(_cfg("tiny"))
    inputs = _g_inputs(_cfg("tiny"))
    del inputs["action_curve"]
    with pytest.raises(ValueError, match="action_curve"):
        G(inputs)


# ---- visual guidance ----------------------------------------------------------------------------

def test_spatial_guidance_is_time_local(M):
    """Changing S_act in a band of time rows changes G's output most in those rows."""
    cfg = _cfg("tiny", "gan.guidance=spatial")
    G = M.build_generator(cfg)
    inputs = _g_inputs(cfg, batch=1)
    base = G(inputs, training=False).numpy()[0]
    band = slice(32, 48)
    changed = dict(inputs)
    s_act = inputs["action_spectrogram"].copy()
    s_act[:, band] = -s_act[:, band] + 0.5
    changed["action_spectrogram"] = s_act
    diff = np.abs(G(changed, training=False).numpy()[0] - base).mean(axis=(1, 2))   # per time row
    inside, outside = diff[band].mean(), np.delete(diff, np.r_[band]).mean()
    assert inside > 1e-3
    assert inside > 3 * outside, (inside, outside)


def test_action_curve_reaches_output(M):
    cfg = _cfg("tiny", "gan.guidance=spatial")
    G = M.build_generator(cfg)
    inputs = _g_inputs(cfg, batch=1)
    base = G(inputs, training=False).numpy()[0]
    changed = dict(inputs)
    curve = inputs["action_curve"].copy()
    curve[:, 8:16] += 1.0
    changed["action_curve"] = curve
    diff = np.abs(G(changed, training=False).numpy()[0] - base).mean(axis=(1, 2))
    assert diff[8:16].mean() > 3 * np.delete(diff, np.r_[8:16]).mean()


@pytest.mark.parametrize("mode,affects", [("none", False), ("global", True), ("both", True)])
def test_guidance_modes(M, mode, affects):
    cfg = _cfg("tiny", f"gan.guidance={mode}")
    G = M.build_generator(cfg)
    a = _g_inputs(cfg, seed=0)
    b = dict(a, action_spectrogram=_g_inputs(cfg, seed=1)["action_spectrogram"])
    delta = np.abs(G(a).numpy() - G(b).numpy()).max()
    assert (delta > 1e-4) == affects
    if mode == "none":   # vanilla G ignores the action inputs entirely
        plain = {"z": a["z"], "class": a["class"]}
        np.testing.assert_array_equal(G(plain).numpy(), G(a).numpy())
    if mode == "global":  # global guidance: no spatial concat, a longer cond vector
        assert G.blocks[0].in_channels == G.arch[0][0]
        assert G.cond_dim == cfg.gan.shared_dim + G.z_chunk + cfg.gan.guidance_channels


def test_discriminator_sees_action_when_configured(M):
    cfg = _cfg("tiny", "gan.d_sees_action=true")
    D = M.build_discriminator(cfg)
    assert D.blocks[0].in_channels == 6
    a = _g_inputs(cfg, seed=0)
    image = a["action_spectrogram"]
    x1 = D({"image": image, "class": a["class"], "action_spectrogram": a["action_spectrogram"]})
    x2 = D({"image": image, "class": a["class"],
            "action_spectrogram": _g_inputs(cfg, seed=1)["action_spectrogram"]})
    assert np.abs(x1.numpy() - x2.numpy()).max() > 1e-5
    with pytest.raises(ValueError, match="action_spectrogram"):
        D({"image": image, "class": a["class"]})
    assert M.build_discriminator(_cfg("tiny")).blocks[0].in_channels == 3


# ---- class input ----------------------------------------------------------------------------------

def test_class_probabilities_match_indices(M):
    cfg = _cfg("tiny")
    G, D = M.build_generator(cfg), M.build_discriminator(cfg)
    inputs = _g_inputs(cfg, classes=[2, 7])
    onehot = dict(inputs, **{"class": np.eye(cfg.num_classes, dtype="float32")[[2, 7]]})
    x = G(inputs).numpy()
    np.testing.assert_allclose(G(onehot).numpy(), x, atol=1e-5)
    np.testing.assert_allclose(D({"image": x, "class": onehot["class"]}).numpy(),
                               D({"image": x, "class": inputs["class"]}).numpy(), rtol=1e-5, atol=1e-5)
    soft = dict(inputs, **{"class": np.full((2, cfg.num_classes), 1 / cfg.num_classes, "float32")})
    assert np.abs(G(soft).numpy() - x).max() > 1e-4


# ---- serialisation ------------------------------------------------------------------------------

def test_models_get_config_round_trip(M):
    cfg = _cfg("tiny", "gan.d_sees_action=true")
    for model in (M.build_generator(cfg), M.build_discriminator(cfg)):
        config = model.get_config()
        assert "config" not in config and config["image_size"] == 64 and config["ch"] == 4
        clone = type(model).from_config(config)
        assert clone.get_config() == config
        assert [tuple(w.shape) for w in clone.weights] == [tuple(w.shape) for w in model.weights]
    assert M.build_discriminator(cfg).get_config()["sees_action"] is True


def test_networks_take_explicit_arguments(M):
    """The classes need no config tree: the build functions are the one place presets become arguments."""
    G = M.Generator(64, 3, ch=4, z_dim=60, shared_dim=16, attention_resolution=32, guidance="none")
    assert G.num_classes == 3 and G.guidance is None and G.z_chunk == 12
    D = M.Discriminator(64, 3, ch=4, attention_resolution=32, sees_action=True)
    assert D.blocks[0].in_channels == 6
    with pytest.raises(ValueError, match="guidance must be one of"):
        M.Generator(64, 3, ch=4, z_dim=60, attention_resolution=32, guidance="sideways")


# ---- FLOPs ----------------------------------------------------------------------------------------

def test_analytic_flops_match_traced_graph(M):
    """The analytic count = the traced graph of the reference computation; the default path (the
    resampling folded into the convolutions) executes exactly ``executed_flops``, less."""
    from foleygan_tf.models.layers import reference_resampling
    from foleygan_tf.models.stats import analytic_flops, executed_flops, gan_input_specs, graph_flops

    cfg = _cfg("tiny", "gan.guidance=both", "gan.d_sees_action=true")
    G, D = M.build_generator(cfg), M.build_discriminator(cfg)
    for model, disc in ((G, False), (D, True)):
        analytic = sum(analytic_flops(layer) for layer in model.named_parts().values())
        def trace():
            return graph_flops(lambda x: model(x, training=False),
                               lambda b: gan_input_specs(cfg, b, discriminator=disc))
        with reference_resampling():
            assert trace() == analytic > 0
        assert trace() == executed_flops(model) < 0.8 * analytic


def test_describe_tiny_reports_all_networks(M):
    report = _describe("--preset", "tiny")
    cfg = _cfg("tiny")
    G = M.build_generator(cfg)
    assert report["generator"]["params"] == _params(G)
    assert report["discriminator"]["params"] == _params(M.build_discriminator(cfg))
    assert "guidance_encoder" in report["generator"]["blocks"]
    for net in ("generator", "discriminator"):
        assert report[net]["gflops"] > 0
    try:
        from foleygan_tf.models.trn import build_trn_models  # noqa: F401  (another module)
    except ImportError:
        return
    assert report["mtrn"]["params"] > 0 and report["pair_trn"]["params"] > 0


# ---- mixed precision and XLA ---------------------------------------------------------------------

@pytest.fixture
def bf16_policy():
    import keras

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def _train_step(tf, G, D, inputs, jit):
    def step():
        with tf.GradientTape() as tape:
            x = G(inputs, training=True)
            logits = D({"image": x, "class": inputs["class"]}, training=True)
            loss = tf.reduce_mean(tf.nn.relu(1.0 - logits)) + tf.reduce_mean(x)
        weights = G.trainable_weights + D.trainable_weights
        return x, logits, loss, tape.gradient(loss, weights)

    return tf.function(step, jit_compile=jit)()


def _check_step(result, G):
    import tensorflow as tf

    x, logits, loss, grads = result
    grads = [tf.convert_to_tensor(g) for g in grads]   # the class embedding's are IndexedSlices
    assert x.dtype == "float32" and logits.dtype == "float32"
    assert np.isfinite(float(loss))
    assert all(g is not None and np.isfinite(g.numpy()).all() for g in grads)
    assert any(float(np.abs(g.numpy()).max()) > 0 for g in grads)
    assert all(w.dtype == "float32" for w in G.weights)


def test_mixed_bfloat16_forward_backward(tf, M, bf16_policy):
    cfg = _cfg("tiny")
    G, D = M.build_generator(cfg), M.build_discriminator(cfg)
    assert G.blocks[0].conv1.compute_dtype == "bfloat16"
    u_before = G.blocks[0].conv1.u.numpy().copy()
    _check_step(_train_step(tf, G, D, _g_inputs(cfg), jit=False), G)
    assert np.abs(G.blocks[0].conv1.u.numpy() - u_before).max() > 0   # SN state updated


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_xla_forward_backward(tf, M, policy):
    import keras

    keras.mixed_precision.set_global_policy(policy)
    try:
        cfg = _cfg("tiny")
        G, D = M.build_generator(cfg), M.build_discriminator(cfg)
        _check_step(_train_step(tf, G, D, _g_inputs(cfg), jit=True), G)
    finally:
        keras.mixed_precision.set_global_policy("float32")


# ---- sampling, orthogonal regularisation, EMA -------------------------------------------------------

def test_sample_z_truncation(M):
    z = M.sample_z(64, 50, truncation=0.5, seed=3)
    assert z.shape == (64, 50) and z.dtype == np.float32
    assert np.abs(z).max() <= 0.5
    # a normal truncated at ±0.5 has std ≈ 0.2826 (a clipped or rescaled one would not)
    assert z.std() == pytest.approx(0.2826, rel=0.05)
    np.testing.assert_array_equal(z, M.sample_z(64, 50, truncation=0.5, seed=3))
    assert not np.array_equal(z, M.sample_z(64, 50, truncation=0.5, seed=4))
    assert np.abs(M.sample_z(256, 20, truncation=None, seed=0)).max() > 2
    with pytest.raises(ValueError):
        M.sample_z(2, 4, truncation=0.01)


def test_orthogonal_regularization(M, rng):
    cfg = _cfg("tiny")
    G = M.build_generator(cfg)
    expect = 0.0
    shared = G.shared.embeddings
    for w in G.trainable_weights:
        if len(w.shape) < 2 or w is shared:
            continue
        mat = w.numpy().reshape(-1, w.shape[-1]).astype(np.float64)
        gram = mat.T @ mat
        expect += np.sum((gram * (1 - np.eye(len(gram)))) ** 2)
    value = float(M.orthogonal_regularization(G, beta=1e-4))
    assert value == pytest.approx(1e-4 * expect, rel=1e-4)
    assert value > 0   # wide kernels (e.g. z-chunk → 4×4×16ch) cannot be column-orthogonal
    # the shared embedding is excluded
    shared.assign(rng.standard_normal(tuple(shared.shape)).astype("float32") * 10)
    assert float(M.orthogonal_regularization(G, beta=1e-4)) == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize("shape", [(6, 40), (40, 6), (7, 7)])
def test_off_diagonal_gram_energy_matches_the_full_gram_value_and_gradient(tf, rng, shape):
    from foleygan_tf.models.sampling import off_diagonal_gram_energy

    mat = tf.Variable(rng.standard_normal(shape).astype("float32"))
    with tf.GradientTape() as tape:
        fast = off_diagonal_gram_energy(mat)
    fast_grad = tape.gradient(fast, mat).numpy()
    with tf.GradientTape() as tape:
        gram = tf.matmul(mat, mat, transpose_a=True)
        full = tf.reduce_sum(tf.square(gram * (1.0 - tf.eye(shape[1]))))
    full_grad = tape.gradient(full, mat).numpy()
    assert float(fast) == pytest.approx(float(full), rel=1e-5)
    np.testing.assert_allclose(fast_grad, full_grad, rtol=1e-4, atol=1e-4 * np.abs(full_grad).max())


def test_model_ema(tf, M):
    cfg = _cfg("tiny")
    G = M.build_generator(cfg)
    ema = M.ModelEMA(G, decay=0.9, start_step=2)
    x = _g_inputs(cfg)
    np.testing.assert_array_equal(ema.average(x).numpy(), G(x).numpy())
    kernel, bn_mean = G.linear.kernel, G.output_bn.moving_mean
    avg_kernel, avg_mean = ema.average.linear.kernel, ema.average.output_bn.moving_mean
    old = kernel.numpy().copy()
    kernel.assign(old + 1.0)
    G(x, training=True)                       # moves BN statistics and SN u
    ema.update(tf.constant(1))                # before start: a copy
    np.testing.assert_allclose(avg_kernel.numpy(), old + 1.0)
    np.testing.assert_allclose(avg_mean.numpy(), bn_mean.numpy())
    kernel.assign(old)
    mean_before = bn_mean.numpy().copy()
    bn_mean.assign(mean_before + 2.0)
    tf.function(ema.update)(tf.constant(2))    # after start: 0.9·avg + 0.1·w, also in a graph
    np.testing.assert_allclose(avg_kernel.numpy(), old + 0.9, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(avg_mean.numpy(), mean_before + 0.2, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ema.average.blocks[0].conv1.u.numpy(), G.blocks[0].conv1.u.numpy(),
                               rtol=1e-5, atol=1e-6)
