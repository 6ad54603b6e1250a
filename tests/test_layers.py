"""BigGAN layers: spectral norm, conditional BN, self-attention, G/D blocks, serialisation."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def L(tf):
    from foleygan_tf.models import layers

    return layers


def _np(x):
    return np.asarray(x, dtype=np.float64)


def _set(var, value):
    var.assign(np.asarray(value, dtype=np.float32))


# ---- spectral norm ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["dense", "conv", "embedding"])
def test_spectral_norm_largest_singular_value_is_one(tf, L, rng, kind):
    if kind == "dense":
        layer, x = L.SNDense(24), rng.standard_normal((2, 40)).astype("float32")
        layer.build(x.shape)
    elif kind == "conv":
        layer, x = L.SNConv2D(16, 3), rng.standard_normal((2, 6, 6, 8)).astype("float32")
        layer.build(x.shape)
    else:
        layer, x = L.SNEmbedding(30, 12), np.array([0, 5])
        layer.build()
    # A non-orthogonal kernel (orthogonal init has σ = 1 already) with known singular values:
    # σ_max = 3, the rest in [0.3, 1.5] (a spectral gap, so a few iterations converge).
    shape = tuple(layer.kernel.shape)
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    k = min(rows, cols)
    left = np.linalg.qr(rng.standard_normal((rows, k)))[0]
    right = np.linalg.qr(rng.standard_normal((cols, k)))[0]
    singular = np.concatenate([[3.0], rng.uniform(0.3, 1.5, k - 1)])
    w_mat = (left * singular) @ right.T
    w = w_mat.reshape(shape).astype("float32")
    _set(layer.kernel, w)
    sigma_true = 3.0
    for _ in range(10):
        layer(x, training=True)
    normalized = _np(layer.normalized_kernel(training=False)).reshape(w_mat.shape)
    assert np.linalg.svd(normalized, compute_uv=False)[0] == pytest.approx(1.0, abs=2e-3)
    # and it really divided by σ: W / (W/σ̂) = σ̂ ≈ σ_max(W)
    assert np.median(w_mat / normalized) == pytest.approx(sigma_true, rel=2e-3)


def test_spectral_norm_u_updates_only_in_training(tf, L, rng):
    layer = L.SNDense(8)
    layer.build((None, 5))
    _set(layer.kernel, rng.standard_normal((5, 8)))
    x = rng.standard_normal((3, 5)).astype("float32")
    u0 = layer.u.numpy().copy()
    layer(x, training=False)
    layer(x)
    np.testing.assert_array_equal(layer.u.numpy(), u0)
    layer(x, training=True)
    assert np.abs(layer.u.numpy() - u0).max() > 1e-3
    # u is a buffer: non-trainable, not a parameter
    assert all(w is not layer.u for w in layer.trainable_weights)
    assert [tuple(w.shape) for w in layer.non_trainable_weights] == [(1, 8)]


def test_spectral_norm_matches_one_power_iteration(tf, L, rng):
    """σ̂ after one call = vWuᵀ with v = norm(uWᵀ), u' = norm(vW) — BigGAN-PyTorch's SN.W_."""
    layer = L.SNDense(6, use_bias=False)
    layer.build((None, 4))
    w = rng.standard_normal((4, 6)).astype("float32")
    u = rng.standard_normal((1, 6)).astype("float32")
    _set(layer.kernel, w)
    _set(layer.u, u)
    x = np.eye(4, dtype="float32")
    got = _np(layer(x, training=True))          # = W / σ̂
    v = u @ w.T
    v /= np.linalg.norm(v)
    u2 = v @ w
    u2 /= np.linalg.norm(u2)
    sigma = (v @ w @ u2.T).item()
    np.testing.assert_allclose(got, w / sigma, rtol=1e-5)
    np.testing.assert_allclose(layer.u.numpy(), u2, rtol=1e-5)


def test_orthogonal_initialisation(tf, L):
    conv = L.SNConv2D(8, 3)
    conv.build((None, 4, 4, 16))          # kernel (3,3,16,8) → tall 144×8
    w = _np(conv.kernel).reshape(-1, 8)
    np.testing.assert_allclose(w.T @ w, np.eye(8), atol=1e-5)
    emb = L.ClassEmbedding(12, 5)
    emb.build()
    e = _np(emb.embeddings)
    np.testing.assert_allclose(e.T @ e, np.eye(5), atol=1e-5)


def test_shape_only_weights_context(tf, L):
    with L.shape_only_weights():
        conv = L.SNConv2D(8, 3)
        conv.build((None, 4, 4, 16))
    assert not np.any(conv.kernel.numpy())
    conv2 = L.SNConv2D(8, 3)
    conv2.build((None, 4, 4, 16))
    assert np.any(conv2.kernel.numpy())


# ---- class embedding ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls_name", ["ClassEmbedding", "SNEmbedding"])
def test_embedding_accepts_probabilities(tf, L, rng, cls_name):
    layer = getattr(L, cls_name)(5, 7)
    layer.build()
    idx = np.array([3, 0])
    by_index = _np(layer(idx))
    onehot = np.eye(5, dtype="float32")[idx]
    np.testing.assert_allclose(_np(layer(onehot)), by_index, atol=1e-6)
    probs = np.array([[0.25, 0, 0, 0.75, 0]], dtype="float32")
    mix = 0.25 * _np(layer(np.array([0]))) + 0.75 * _np(layer(np.array([3])))
    np.testing.assert_allclose(_np(layer(probs)), mix, atol=1e-6)
    with pytest.raises(ValueError):
        layer(np.ones((2, 4), dtype="float32"))


# ---- conditional batch norm -------------------------------------------------------------------

def test_conditional_bn_gain_has_plus_one(tf, L, rng):
    cbn = L.ConditionalBatchNorm(6)
    x = rng.standard_normal((4, 5, 5, 6)).astype("float32") * 3 + 2
    c = rng.standard_normal((4, 10)).astype("float32")
    cbn(x, c)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    bn = (x - mean) / np.sqrt(var + 1e-5)
    # A zero condition gives gain(c) = bias(c) = 0: output = BN(x) (compare_gan's x·gain gives 0)
    out = _np(cbn(x, np.zeros_like(c), training=True))
    np.testing.assert_allclose(out, bn, atol=1e-4)
    # with a condition: BN(x)·(1 + g) + b per example
    g = c @ _np(cbn.gain.normalized_kernel())
    b = c @ _np(cbn.bias.normalized_kernel())
    expect = bn * (1 + g[:, None, None, :]) + b[:, None, None, :]
    np.testing.assert_allclose(_np(cbn(x, c, training=True)), expect, rtol=1e-3, atol=1e-3)
    # parameters = two bias-free SN-Dense (BN is non-affine)
    assert sum(int(np.prod(w.shape)) for w in cbn.trainable_weights) == 2 * 10 * 6


# ---- self-attention -----------------------------------------------------------------------------

def _attention_reference(x, theta, phi, g, o, gamma):
    """numpy BigGAN-PyTorch Attention.forward in NHWC."""
    b, h, w, c = x.shape

    def pool(t):
        return t.reshape(b, h // 2, 2, w // 2, 2, -1).max(axis=(2, 4))

    th = (x @ theta).reshape(b, h * w, -1)
    ph = pool(x @ phi).reshape(b, h * w // 4, -1)
    gg = pool(x @ g).reshape(b, h * w // 4, -1)
    logits = th @ ph.transpose(0, 2, 1)
    beta = np.exp(logits - logits.max(-1, keepdims=True))
    beta /= beta.sum(-1, keepdims=True)
    return x + gamma * ((beta @ gg).reshape(b, h, w, -1) @ o)


def test_self_attention_matches_reference(tf, L, rng):
    att = L.SelfAttention(32)
    x = rng.standard_normal((2, 8, 6, 32)).astype("float32")
    np.testing.assert_allclose(_np(att(x)), x, atol=1e-6)       # γ = 0 at init → identity
    assert att.theta.filters == 4 and att.g.filters == 16
    assert not any(conv.use_bias for conv in (att.theta, att.phi, att.g, att.o))
    _set(att.gamma, 0.7)
    kernels = [_np(c.normalized_kernel())[0, 0] for c in (att.theta, att.phi, att.g, att.o)]
    expect = _attention_reference(x.astype(np.float64), *kernels, 0.7)
    np.testing.assert_allclose(_np(att(x)), expect, rtol=1e-4, atol=1e-4)
    assert sum(int(np.prod(w.shape)) for w in att.trainable_weights) == 32 * 4 * 2 + 32 * 16 * 2 + 1


# ---- blocks -------------------------------------------------------------------------------------

def test_gblock_shapes_and_params(tf, L, rng):
    blk = L.GBlock(8, 4)
    x = rng.standard_normal((2, 4, 4, 8)).astype("float32")
    c = rng.standard_normal((2, 10)).astype("float32")
    assert tuple(blk(x, c, training=True).shape) == (2, 8, 8, 4)
    expect = 2 * 10 * 8 + (9 * 8 * 4 + 4) + 2 * 10 * 4 + (9 * 4 * 4 + 4) + (8 * 4 + 4)
    assert sum(int(np.prod(w.shape)) for w in blk.trainable_weights) == expect


@pytest.mark.parametrize("cin,cout,down,pre,learnable", [
    (3, 8, True, False, True), (8, 8, True, True, True), (8, 16, False, True, True),
    (16, 16, False, True, False)])
def test_dblock_shapes_and_shortcut(tf, L, rng, cin, cout, down, pre, learnable):
    blk = L.DBlock(cin, cout, downsample=down, preactivation=pre)
    x = rng.standard_normal((2, 8, 8, cin)).astype("float32")
    side = 4 if down else 8
    assert tuple(blk(x).shape) == (2, side, side, cout)
    assert (blk.conv_sc is not None) == learnable
    params = (9 * cin * cout + cout) + (9 * cout * cout + cout) + (cin * cout + cout if learnable else 0)
    assert sum(int(np.prod(w.shape)) for w in blk.trainable_weights) == params


def test_dblock_first_block_has_no_input_relu(tf, L, rng):
    """preactivation=False sees negative inputs; preactivation=True does not."""
    x = -np.abs(rng.standard_normal((1, 4, 4, 3))).astype("float32")
    plain, pre = L.DBlock(3, 4, preactivation=False), L.DBlock(3, 4, preactivation=True)
    plain(x), pre(x)
    pre.set_weights(plain.get_weights())
    out_pre = _np(pre(x))
    # With ReLU first, the residual branch sees zeros: output = shortcut (pooled conv) only.
    shortcut = _np(pre.conv_sc(x))   # resample="down": the 1×1 conv and the 2×2 average pool
    assert shortcut.shape == (1, 2, 2, 4)
    np.testing.assert_allclose(out_pre, shortcut + _np(pre.conv2.bias), atol=1e-5)
    assert np.abs(_np(plain(x)) - out_pre).max() > 1e-3


# ---- serialisation ------------------------------------------------------------------------------

def _layers_for_config(L):
    return [
        (L.SNDense(7, use_bias=False, sn_eps=1e-6), lambda l: l.build((None, 3))),
        (L.SNConv2D(5, kernel_size=1, use_bias=False), lambda l: l.build((None, 4, 4, 2))),
        (L.SNEmbedding(9, 4), lambda l: l.build()),
        (L.ClassEmbedding(9, 4), lambda l: l.build()),
        (L.ConditionalBatchNorm(6, bn_eps=1e-4), lambda l: l.build((None, 4, 4, 6), (None, 3))),
        (L.SelfAttention(16), lambda l: l.build((None, 4, 4, 16))),
        (L.GBlock(6, 3), lambda l: l.build((None, 4, 4, 6), (None, 5))),
        (L.DBlock(3, 6, downsample=False, preactivation=False), lambda l: l.build((None, 4, 4, 3))),
    ]


def test_get_config_round_trip(tf, L):
    import keras

    from foleygan_tf.models.guidance import GuidanceEncoder

    cases = _layers_for_config(L) + [
        (GuidanceEncoder(16, [4, 8], 3, use_global=False), lambda l: l.build())]
    for layer, build in cases:
        build(layer)
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
        build(clone)
        assert [tuple(w.shape) for w in clone.weights] == [tuple(w.shape) for w in layer.weights]
        # and through Keras' generic (registered) serialisation
        again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
        assert type(again) is type(layer) and again.get_config() == config


# ---- the fast paths equal the reference computation ---------------------------------------------

def _forward_and_grads(tf, layer, args, weights):
    """``layer(*args, training=True)`` and the gradients of a fixed random projection of it
    w.r.t. ``weights`` and the float inputs."""
    inputs = [a for a in args if a.dtype.is_floating]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        y = tf.cast(layer(*args, training=True), tf.float32)
        probe = tf.random.stateless_normal(tf.shape(y), seed=[1, 2])
        loss = tf.reduce_sum(y * probe)
    return [y] + tape.gradient(loss, list(weights) + inputs)


def _assert_close_to_reference(tf, L, layer, args, rtol):
    weights = layer.trainable_weights
    state = [w.numpy() for w in layer.non_trainable_weights]   # the same u (and BN statistics) for both
    fast = _forward_and_grads(tf, layer, args, weights)
    for w, value in zip(layer.non_trainable_weights, state):
        w.assign(value)
    with L.reference_resampling():
        reference = _forward_and_grads(tf, layer, args, weights)
    overall = max(np.abs(_np(want)).max() for want in reference)
    for got, want in zip(fast, reference):
        got, want = _np(got), _np(want)
        assert got.shape == want.shape
        # relative to the tensor's scale, at least to a tenth of the largest: gradients that are 0 in
        # exact arithmetic (a bias followed by batch norm) are rounding noise of the others' size.
        # Overall (L2) within rtol; single elements within 3 × rtol — bf16 rounding of the two
        # orders differs, and batch norm's backward pass amplifies a few elements' differences.
        scale = max(np.abs(want).max(), 0.1 * overall)
        assert np.linalg.norm(got - want) <= rtol * max(np.linalg.norm(want), 0.1 * overall * np.sqrt(want.size))
        np.testing.assert_allclose(got, want, rtol=0, atol=3 * rtol * scale)


@pytest.mark.parametrize("policy, rtol", [("float32", 1e-5), ("mixed_bfloat16", 2e-2)])
@pytest.mark.parametrize("resample, kernel", [("up", 3), ("up", 1), ("down", 3), ("down", 1)])
def test_resampling_conv_equals_resample_then_conv(tf, L, rng, resample, kernel, policy, rtol):
    """SNConv2D(resample=…) folds the ×2 upsampling / the 2×2 average pool into its kernel (or
    swaps the order, for 1×1): output and gradients equal the reference order's."""
    conv = L.SNConv2D(5, kernel, resample=resample, dtype=policy)
    conv.build((None, 8, 6, 4))
    _set(conv.kernel, rng.standard_normal(conv.kernel.shape))
    _set(conv.bias, rng.standard_normal(5))
    x = tf.constant(rng.standard_normal((2, 8, 6, 4)), tf.float32)
    side = {"up": (16, 12), "down": (4, 3)}[resample]
    assert tuple(conv(x).shape) == (2, *side, 5) == conv.compute_output_shape((2, 8, 6, 4))
    _assert_close_to_reference(tf, L, conv, [x], rtol)
    # flops() counts the reference order: the 3×3 conv at the upsampled / unpooled size
    full = 16 * 12 if resample == "up" else 8 * 6
    assert conv.flops() == 2 * full * kernel ** 2 * 4 * 5


# float32 shows the folded blocks exact; bfloat16 that they run under the mixed policy. Its two
# orders round differently (the folded kernel is cast after folding), and the batch norms'
# backward passes amplify that, varying with oneDNN's kernel choice (which changes with the load):
# over 15 weight draws on a busy machine G's conv-kernel gradient differed by up to 15 % (L2); a
# wrong fold or cast is off by O(1).
@pytest.mark.parametrize("policy, rtol", [("float32", 1e-5), ("mixed_bfloat16", 0.25)])
def test_blocks_equal_the_reference_computation(tf, L, rng, policy, rtol):
    g_block = L.GBlock(8, 4, dtype=policy)
    g_block.build((None, 4, 4, 8), (None, 6))
    d_block = L.DBlock(4, 8, downsample=True, preactivation=True, dtype=policy)
    d_block.build((None, 8, 8, 4))
    first = L.DBlock(3, 4, downsample=True, preactivation=False, dtype=policy)
    first.build((None, 8, 8, 3))
    for layer in (g_block, d_block, first):
        for w in layer.trainable_weights:
            _set(w, rng.standard_normal(w.shape) * 0.3)
    x = tf.constant(rng.standard_normal((3, 4, 4, 8)), tf.float32)
    c = tf.constant(rng.standard_normal((3, 6)), tf.float32)
    _assert_close_to_reference(tf, L, g_block, [x, c], rtol)
    _assert_close_to_reference(tf, L, d_block, [tf.constant(rng.standard_normal((3, 8, 8, 4)), tf.float32)], rtol)
    _assert_close_to_reference(tf, L, first, [tf.constant(rng.standard_normal((3, 8, 8, 3)), tf.float32)], rtol)


@pytest.mark.parametrize("affine", [False, True])
def test_fused_batch_norm_equals_keras(tf, L, rng, affine):
    """``batch_norm`` (TensorFlow's fused kernel) = Keras' BatchNormalization in training: output,
    gradients and the moving statistics (updated with the biased batch variance)."""
    import keras

    layers = [keras.layers.BatchNormalization(center=affine, scale=affine, epsilon=1e-5, momentum=0.9)
              for _ in range(2)]
    for bn in layers:
        bn.build((None, 5, 4, 6))
    for weights in zip(*(bn.weights for bn in layers)):
        value = rng.uniform(0.5, 1.5, weights[0].shape)
        for w in weights:
            _set(w, value)
    x = tf.constant(rng.standard_normal((3, 5, 4, 6)) * 2 + 1, tf.float32)
    probe = tf.constant(rng.standard_normal((3, 5, 4, 6)), tf.float32)
    results = []
    for bn, fn in zip(layers, (lambda b, x: L.batch_norm(b, x, training=True), lambda b, x: b(x, training=True))):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(bn, x)
            loss = tf.reduce_sum(y * probe)
        results.append([y] + tape.gradient(loss, [x] + bn.trainable_weights)
                       + [bn.moving_mean.numpy(), bn.moving_variance.numpy()])
    for got, want in zip(*results):
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-4, atol=1e-5)
    assert np.abs(results[0][-1] - 1.5).max() > 1e-3   # the statistics moved


def test_conditional_bn_inference_folds_the_moving_statistics(tf, L, rng):
    cbn = L.ConditionalBatchNorm(6)
    cbn.build((None, 5, 5, 6), (None, 10))
    _set(cbn.bn.moving_mean, rng.standard_normal(6))
    _set(cbn.bn.moving_variance, rng.uniform(0.5, 2.0, 6))
    x = rng.standard_normal((4, 5, 5, 6)).astype("float32")
    c = rng.standard_normal((4, 10)).astype("float32")
    g = c @ _np(cbn.gain.normalized_kernel())
    b = c @ _np(cbn.bias.normalized_kernel())
    bn = (x - _np(cbn.bn.moving_mean)) / np.sqrt(_np(cbn.bn.moving_variance) + 1e-5)
    expect = bn * (1 + g[:, None, None, :]) + b[:, None, None, :]
    np.testing.assert_allclose(_np(cbn(x, c, training=False)), expect, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("bfloat16", 3e-2)])
def test_attention_backward_equals_autodiff(tf, L, rng, dtype, rtol):
    """``attend``'s hand-written backward pass = TensorFlow's gradient of the plain formula."""
    theta, phi, g = (tf.cast(tf.constant(rng.standard_normal(s)), dtype) for s in ((2, 12, 3), (2, 5, 3), (2, 5, 4)))
    probe = tf.constant(rng.standard_normal((2, 12, 4)), tf.float32)

    def plain(theta, phi, g):
        logits = tf.cast(tf.matmul(theta, phi, transpose_b=True), tf.float32)
        return tf.matmul(tf.cast(tf.nn.softmax(logits), g.dtype), g)

    results = []
    for fn in (L.attend, plain):
        with tf.GradientTape() as tape:
            tape.watch([theta, phi, g])
            loss = tf.reduce_sum(tf.cast(fn(theta, phi, g), tf.float32) * probe)
        results.append(tape.gradient(loss, [theta, phi, g]))
    for got, want in zip(*results):
        np.testing.assert_allclose(_np(tf.cast(got, tf.float32)), _np(tf.cast(want, tf.float32)),
                                   rtol=0, atol=rtol * float(tf.reduce_max(tf.abs(tf.cast(want, tf.float32)))))


def test_attention_in_example_groups_equals_one_call(tf, L, rng, monkeypatch):
    """Large attention matrices are computed a few examples at a time: same output and gradients."""
    att = L.SelfAttention(16)
    x = tf.constant(rng.standard_normal((5, 8, 8, 16)), tf.float32)
    att(x)
    _set(att.gamma, 0.5)
    whole = _forward_and_grads(tf, att, [x], att.trainable_weights)
    monkeypatch.setattr(L, "ATTENTION_CHUNK_BYTES", 4 * 64 * 16 * 2)   # two examples per group
    grouped = _forward_and_grads(tf, att, [x], att.trainable_weights)
    for got, want in zip(grouped, whole):
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-4, atol=1e-5)


def test_fixed_kernels_replace_the_spectral_norm(tf, L, rng):
    """Inside ``fixed_kernels`` a layer applies the given kernel and leaves ``u`` alone."""
    layer = L.SNDense(3, use_bias=False)
    layer.build((None, 4))
    x = tf.constant(rng.standard_normal((2, 4)), tf.float32)
    u0 = layer.u.numpy().copy()
    fixed = tf.constant(rng.standard_normal((4, 3)), tf.float32)
    with L.fixed_kernels([layer], [fixed]):
        np.testing.assert_allclose(_np(layer(x, training=True)), _np(x) @ _np(fixed), rtol=1e-6)
    np.testing.assert_array_equal(layer.u.numpy(), u0)
    assert layer.fixed_kernel is None and layer.weights == [layer.kernel, layer.u]
