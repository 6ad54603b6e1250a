"""FoleyGAN's train_step: accumulation equivalence, update counting, fit/resume bookkeeping."""

import json

import numpy as np
import pytest

from foleygan_tf.config import apply_overrides, get_preset
from tests.helpers.gan_data import gan_dataset, gan_examples
from tests.helpers.toy_gan import ToyDiscriminator, ToyGenerator


def toy_gan(cfg):
    from foleygan_tf.training.gan import FoleyGAN

    r = cfg.audio.image_size
    gan = FoleyGAN(cfg, generator=ToyGenerator(r), discriminator=ToyDiscriminator(r))
    gan.compile(jit_compile=False)
    return gan


def test_accumulation_equals_one_big_batch(tf):
    """4 micro-batches of 2 accumulated == one batch of 8 (BN-free toy G/D): weights to 1e-5
    (float32 summation order differs; Adam divides by √v, which amplifies it near zero)."""
    import keras

    base = ["train.d_steps=1", "gan.ortho_reg=0", "train.lr_d=0.01", "train.lr_g=0.01"]
    cfg_acc = apply_overrides(get_preset("tiny"), base + ["train.batch_size=2", "train.accumulation_steps=4"])
    cfg_big = apply_overrides(get_preset("tiny"), base + ["train.batch_size=8", "train.accumulation_steps=1"])
    keras.utils.set_random_seed(1)
    acc, big = toy_gan(cfg_acc), toy_gan(cfg_big)
    big.generator.set_weights(acc.generator.get_weights())
    big.discriminator.set_weights(acc.discriminator.get_weights())
    batch = {k: tf.constant(v) for k, v in gan_examples(cfg_acc, n=8).items()}
    acc.train_step(batch)
    big.train_step(batch)
    for a, b in zip(acc.generator.get_weights() + acc.discriminator.get_weights(),
                    big.generator.get_weights() + big.discriminator.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    moved = np.abs(acc.discriminator.get_weights()[0] - toy_gan(cfg_acc).discriminator.get_weights()[0])
    assert moved.max() > 1e-4  # the step really changed the weights
    assert int(acc.d_optimizer.iterations.numpy()) == 1 and int(acc.g_optimizer.iterations.numpy()) == 1


def test_accumulation_equals_one_big_batch_under_xla(tf):
    """The same equivalence with both train steps compiled by XLA (``jit_compile=True``): the
    ``tf.while_loop`` accumulation compiles, and still equals one batch of 8."""
    import keras

    base = ["train.d_steps=1", "gan.ortho_reg=0", "train.lr_d=0.01", "train.lr_g=0.01"]
    cfg_acc = apply_overrides(get_preset("tiny"), base + ["train.batch_size=2", "train.accumulation_steps=4"])
    cfg_big = apply_overrides(get_preset("tiny"), base + ["train.batch_size=8", "train.accumulation_steps=1"])
    keras.utils.set_random_seed(1)
    acc, big = toy_gan(cfg_acc), toy_gan(cfg_big)
    start = acc.discriminator.get_weights()[0].copy()
    big.generator.set_weights(acc.generator.get_weights())
    big.discriminator.set_weights(acc.discriminator.get_weights())
    batch = {k: tf.constant(v) for k, v in gan_examples(cfg_acc, n=8).items()}
    tf.function(acc.train_step, jit_compile=True)(batch)
    tf.function(big.train_step, jit_compile=True)(batch)
    for a, b in zip(acc.generator.get_weights() + acc.discriminator.get_weights(),
                    big.generator.get_weights() + big.discriminator.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert np.abs(acc.discriminator.get_weights()[0] - start).max() > 1e-4
    assert int(acc.d_optimizer.iterations.numpy()) == 1 and int(acc.g_optimizer.iterations.numpy()) == 1


def test_optimizer_steps_once_per_k_micro_batches(tf, tmp_path):
    from foleygan_tf.training.fit_gan import fit_gan

    cfg = apply_overrides(get_preset("tiny"), ["train.accumulation_steps=2", "train.d_steps=2", "train.log_every=1"])
    import foleygan_tf.training.fit_gan as fg

    original = fg.build_gan
    fg.build_gan = lambda c, s=None: toy_gan(c)
    try:
        result = fit_gan(cfg, gan_dataset(cfg), str(tmp_path / "run"), steps=12, verbose=0)
    finally:
        fg.build_gan = original
    gan = result["gan"]
    assert gan.optimizer_updates() == 6 and int(gan.g_optimizer.iterations.numpy()) == 3
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert [r["step"] for r in history] == [4, 8, 12]
    assert [r["optimizer_updates"] for r in history] == [2, 4, 6]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in history)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["train"]["accumulation_steps"] == 2


def test_hinge_losses(tf):
    from foleygan_tf.training.gan import hinge_d_loss, hinge_g_loss

    loss, real, fake = hinge_d_loss(tf.constant([2.0, 0.5]), tf.constant([-2.0, 0.0]))
    assert float(real) == pytest.approx(0.25) and float(fake) == pytest.approx(0.5) and float(loss) == pytest.approx(0.75)
    assert float(hinge_g_loss(tf.constant([1.0, 3.0]))) == pytest.approx(-2.0)


def test_envelope_loss(tf):
    from foleygan_tf.training.paired_losses import envelope_l1, spectrum_l1, time_envelope

    img = np.full((2, 8, 8, 3), -1.0, np.float32)
    img[:, 3, :, 0] = 1.0                                      # a loud column at time row 3
    env = time_envelope(tf.constant(img)).numpy()
    assert env.shape == (2, 8) and env[0, 3] == pytest.approx(1.0) and env[0, 0] == pytest.approx(-1.0)
    assert float(envelope_l1(tf.constant(img), tf.constant(img))) == 0.0
    shifted = np.roll(img, 1, axis=1)
    assert float(envelope_l1(tf.constant(shifted), tf.constant(img))) == pytest.approx(2 * 2.0 / 8)
    assert float(spectrum_l1(tf.constant(shifted), tf.constant(img))) == pytest.approx(0.0)   # same timbre


def test_onset_loss(tf):
    from foleygan_tf.training.paired_losses import envelope_l1, onset_l1, onset_strength

    img = np.full((1, 8, 4, 3), -1.0, np.float32)
    img[:, 3:, :, 0] = 0.5                                     # the sound starts at time row 3
    flux = onset_strength(tf.constant(img)).numpy()
    np.testing.assert_allclose(flux, [[0, 0, 1.5, 0, 0, 0, 0]], atol=1e-6)   # only the rise counts
    assert float(onset_l1(tf.constant(img), tf.constant(img))) == 0.0
    # a background flickering bin by bin: same loudness envelope, but flux in every row
    flicker = img.copy()
    flicker[:, :3, 0::2, 0] += 0.2
    flicker[:, :3, 1::2, 0] -= 0.2
    flicker[:, 1, :, 0] *= -1.0
    flicker[:, 1, :, 0] += -2.0                                # row 1 = row 0 with the bins' signs swapped
    assert float(envelope_l1(tf.constant(flicker), tf.constant(img))) == pytest.approx(0.0, abs=1e-6)
    assert float(onset_l1(tf.constant(flicker), tf.constant(img))) > 0.05


@pytest.mark.parametrize("weight", [10.0])
def test_sync_recipe_train_step(tf, weight):
    """D sees S_act and the envelope loss is on (the default-models recipe): a step of the tiny
    FoleyGAN runs and logs finite g_envelope / g_spectrum terms."""
    from foleygan_tf.training.fit_gan import build_gan

    cfg = apply_overrides(get_preset("tiny"), ["gan.d_sees_action=true", f"gan.envelope_loss={weight}",
                                                "gan.spectrum_loss=5", "gan.onset_loss=10", "train.d_steps=1",
                                                "train.accumulation_steps=1"])
    gan = build_gan(cfg)
    assert gan.discriminator.sees_action
    assert gan.paired_weights == {"envelope_loss": weight, "spectrum_loss": 5.0, "onset_loss": 10.0}
    batch = {k: tf.constant(v) for k, v in gan_examples(cfg, n=cfg.train.batch_size).items()}
    logs = gan.train_step(batch)
    assert np.isfinite(float(logs["g_envelope"])) and float(logs["g_envelope"]) > 0
    assert np.isfinite(float(logs["g_spectrum"])) and float(logs["g_spectrum"]) > 0
    assert np.isfinite(float(logs["g_onset"])) and float(logs["g_onset"]) > 0
    assert np.isfinite(float(logs["g_loss"]))
    # every G loss part is logged under its own metric, each once
    from foleygan_tf.training.gan import GENERATOR_LOSS_PARTS, GENERATOR_METRIC_NAMES, METRIC_NAMES

    assert set(logs) == set(METRIC_NAMES)
    assert sorted(GENERATOR_METRIC_NAMES) == sorted(GENERATOR_LOSS_PARTS)
    assert len(set(GENERATOR_METRIC_NAMES.values())) == len(GENERATOR_LOSS_PARTS)


def test_accumulate_gradients_refuses_a_wrong_part_count(tf):
    from foleygan_tf.training.gan import accumulate_gradients

    v = tf.Variable(1.0)
    group = {"x": tf.ones([2, 3])}

    def loss_fn(batch):
        loss = tf.reduce_sum(batch["x"]) * v
        return loss, (loss, 2.0 * loss)

    grads, totals = accumulate_gradients(loss_fn, [v], group, 2, num_parts=2)
    assert float(grads[0]) == pytest.approx(3.0) and [float(t) for t in totals] == pytest.approx([3.0, 3.0, 6.0])
    with pytest.raises(ValueError, match="returned 2 parts, expected num_parts=3"):
        accumulate_gradients(loss_fn, [v], group, 2, num_parts=3)


def test_class_probabilities_condition_g_and_d(tf):
    """gan.class_source=mtrn: batches carry the MTRN's class_probs, which G and D take as their
    class input instead of the label (the label still drives D's pre-training)."""
    from foleygan_tf.training.fit_gan import build_gan

    cfg = apply_overrides(get_preset("tiny"), ["train.d_steps=1", "train.accumulation_steps=1"])
    gan = build_gan(cfg)
    batch = {k: tf.constant(v) for k, v in gan_examples(cfg, n=cfg.train.batch_size).items()}
    probs = np.full((cfg.train.batch_size, cfg.num_classes), 1.0 / cfg.num_classes, np.float32)
    soft = dict(batch, class_probs=tf.constant(probs))
    assert gan._class_input(soft) is soft["class_probs"] and gan._class_input(batch) is batch["class"]
    real = gan.discriminator(gan._d_inputs(batch["image"], batch), training=False).numpy()
    real_soft = gan.discriminator(gan._d_inputs(batch["image"], soft), training=False).numpy()
    assert np.abs(real - real_soft).max() > 1e-6
    logs = gan.train_step(soft)
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))


def _converge_power_iteration(gan):
    """Set every spectral-norm ``u`` to its kernel's top right singular vector: the power
    iteration's fixed point, so that one iteration or several give the same σ."""
    from foleygan_tf.models.layers import spectral_norm_layers

    for layer in spectral_norm_layers(gan.generator) + spectral_norm_layers(gan.discriminator):
        w = layer.kernel.numpy().reshape(-1, layer.kernel.shape[-1]).astype(np.float64)
        layer.u.assign(np.linalg.svd(w)[2][:1].astype(np.float32))


def test_spectral_norm_per_update_gives_the_per_forward_gradients(tf):
    """train.spectral_norm_per_update: W/σ computed once before the accumulation loop and
    backpropagated through once after it gives the gradients of the per-call power iteration
    (BigGAN-PyTorch) when both use the same σ (u at its fixed point), for D's and G's update; and
    it refines u once per NormalizedKernels, where the per-call mode refines it on every D call."""
    import keras

    from foleygan_tf.benchmarking.common import randomize_weights
    from foleygan_tf.models.layers import spectral_norm_layers
    from foleygan_tf.training.fit_gan import build_gan
    from foleygan_tf.training.gan import GENERATOR_LOSS_PARTS, NormalizedKernels, update_gradients

    cfg = apply_overrides(get_preset("tiny"), ["train.d_steps=1", "train.accumulation_steps=2", "gan.ortho_reg=0"])
    keras.utils.set_random_seed(3)
    gan = build_gan(cfg)
    randomize_weights(gan, seed=3, scale=0.2)   # distinct singular values (orthogonal kernels have none)
    _converge_power_iteration(gan)
    k, b = cfg.train.accumulation_steps, cfg.train.batch_size
    group = {key: tf.reshape(tf.constant(v), [k, b, *v.shape[1:]]) for key, v in gan_examples(cfg, n=k * b).items()}
    z = tf.random.stateless_normal([b, cfg.gan.z_dim], seed=[4, 5])

    def d_loss(batch):
        fake = gan.generator(gan._g_inputs(batch, z), training=True)
        loss, real, fake_part = gan.discriminator_objective(fake, batch)
        return loss, (real, fake_part)

    def g_loss(batch):
        return gan.generator_objective(gan.generator(gan._g_inputs(batch, z), training=True), batch)

    u_sn = [layer.u for layer in spectral_norm_layers(gan.generator) + spectral_norm_layers(gan.discriminator)]
    for loss_fn, net, parts in ((d_loss, gan.discriminator, 2), (g_loss, gan.generator, len(GENERATOR_LOSS_PARTS))):
        u0 = [u.numpy() for u in u_sn]
        per_call, totals = update_gradients(loss_fn, net.trainable_variables, group, k, parts)
        for u, value in zip(u_sn, u0):
            u.assign(value)
        fixed = NormalizedKernels(spectral_norm_layers(gan.generator)), NormalizedKernels(spectral_norm_layers(gan.discriminator))
        once, totals_once = update_gradients(loss_fn, net.trainable_variables, group, k, parts, fixed=fixed,
                                             trained=fixed[net is gan.discriminator])
        for a, c in zip(per_call, once):
            scale = max(float(tf.reduce_max(tf.abs(a))), 1e-3)
            np.testing.assert_allclose(c.numpy(), a.numpy(), rtol=0, atol=2e-4 * scale)
        np.testing.assert_allclose([float(t) for t in totals_once], [float(t) for t in totals], rtol=1e-4, atol=1e-6)
        assert max(float(tf.reduce_max(tf.abs(g))) for g in once) > 1e-3
    # the u schedule away from the fixed point: one power iteration per NormalizedKernels, none in
    # the loop; per call, one per D call, i.e. per micro-batch (two here)
    layer = max(spectral_norm_layers(gan.discriminator), key=lambda l: l.kernel.shape[-1])
    start = np.random.default_rng(0).standard_normal((1, layer.kernel.shape[-1])).astype(np.float32)
    layer.u.assign(start)
    iterated = []
    for _ in range(2):
        layer.normalized_kernel(training=True)
        iterated.append(layer.u.numpy())
    assert np.abs(iterated[1] - iterated[0]).max() > 1e-4
    for once, expect in ((True, iterated[0]), (False, iterated[1])):
        layer.u.assign(start)
        fixed = [NormalizedKernels(spectral_norm_layers(gan.discriminator))] if once else []
        update_gradients(d_loss, gan.discriminator.trainable_variables, group, k, 2, fixed=fixed,
                         trained=fixed[0] if once else None)
        np.testing.assert_allclose(layer.u.numpy(), expect, rtol=1e-5, atol=1e-6)


def test_fused_adam_equals_keras_adam(tf):
    """FusedAdam (TensorFlow's ResourceApplyAdam kernel) makes Keras Adam's updates, with the
    same slot variables (checkpoints are unchanged)."""
    import keras

    from foleygan_tf.training.fused_adam import FusedAdam

    rng = np.random.default_rng(0)
    start = [rng.standard_normal((3, 4)).astype("float32"), rng.standard_normal(5).astype("float32")]
    grads = [[rng.standard_normal(w.shape).astype("float32") for w in start] for _ in range(4)]
    results = []
    for cls in (keras.optimizers.Adam, FusedAdam):
        variables = [keras.Variable(w) for w in start]
        opt = cls(1e-2, beta_1=0.0, beta_2=0.999, epsilon=1e-8, name="adam")
        opt.build(variables)
        step = tf.function(lambda gs: opt.apply_gradients(zip(gs, variables)))
        for gs in grads:
            step([tf.constant(g) for g in gs])
        results.append([v.numpy() for v in variables + list(opt.variables)])
        assert [v.path for v in opt.variables][:1] == ["adam/iteration"] and int(opt.iterations.numpy()) == 4
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert np.abs(results[1][0] - start[0]).max() > 1e-2


def test_the_presets_fastest_variant_trains_like_float32_graph_mode(tf):
    """The fastest train-step variant measured on a CPU, as the tiny preset names it (its dtype
    policy, XLA switch and ``train.spectral_norm_per_update``): its first 3 steps on the same
    batches give finite losses within 5 % of float32 graph mode with the spectral norm on every
    forward call (BigGAN-PyTorch's; the hinge losses are O(1): 5 % of max(|loss|, 1))."""
    import keras

    from foleygan_tf.training.fit_gan import build_gan, global_batch_size

    fast = get_preset("tiny").train
    assert fast.spectral_norm_per_update and not fast.jit_compile and fast.mixed_precision == "float32"
    sn = f"train.spectral_norm_per_update={str(fast.spectral_norm_per_update).lower()}"
    variant = [f"train.mixed_precision={fast.mixed_precision}", f"train.jit_compile={str(fast.jit_compile).lower()}", sn]
    reference = ["train.mixed_precision=float32", "train.jit_compile=false", "train.spectral_norm_per_update=false"]
    base = ["train.d_steps=1", "train.accumulation_steps=2"]
    cfg = apply_overrides(get_preset("tiny"), base)
    batches = [{k: tf.constant(v) for k, v in gan_examples(cfg, n=global_batch_size(cfg), seed=s).items()} for s in range(3)]
    losses = {}
    for name, overrides in (("fast", variant), ("reference", reference)):
        keras.utils.set_random_seed(7)
        gan = build_gan(apply_overrides(get_preset("tiny"), base + overrides))
        step = tf.function(gan.train_step, jit_compile=gan.config.train.jit_compile)
        losses[name] = [{k: float(v) for k, v in step(b).items()} for b in batches]
    for got, want in zip(losses["fast"], losses["reference"]):
        for key in ("d_loss", "d_real", "d_fake", "g_loss"):
            assert np.isfinite(got[key])
            assert abs(got[key] - want[key]) <= 0.05 * max(abs(want[key]), 1.0), (key, got, want)
