"""``FoleyGAN``: the adversarial ``keras.Model`` with a custom ``train_step`` (Algorithm 1, lines 6–11).

One ``train_step`` = ``d_steps`` discriminator updates + one generator update, each update summing
the gradients of ``accumulation_steps`` micro-batches (paper §V-B: 16 × 128 = 2048):

* the step receives a flat batch of ``d_steps × accumulation_steps × micro_batch`` examples
  (per replica under ``tf.distribute``) and views it as ``[d_steps, accumulation_steps,
  micro_batch, …]``, so ``tf.distribute`` can split it along the batch axis like any batch;
* each update loops over its micro-batches with ``tf.while_loop``; the gradient sums are
  loop-carried tensors (the accumulators — nothing to checkpoint, since a step is atomic) and
  ``apply_gradients`` is called once per update, unconditionally — the pattern that works under
  MirroredStrategy (an apply inside ``tf.cond`` fails with a ``merge_call`` error; DESIGN.md);
* the G update uses the conditions (class, S_act, P_act) of the last D update's micro-batches and
  fresh z (the paper's G takes the predicted class and the action spectrogram of real videos);
* hinge losses (eq. 3) — D sees the real and the generated micro-batch as one batch, as
  BigGAN-PyTorch's ``G_D`` does —, orthogonal regularisation of G (β = ``gan.ortho_reg``; its
  value and gradient once per G update, outside the loop: it depends on the weights only), EMA of
  G after each G update;
* ``train.spectral_norm_per_update``: every W/σ of G and D computed once per change of its weights
  (G's once per step, D's before each D update and before the G update), outside the loops,
  instead of on every call (:func:`update_gradients`);
* optionally the paired losses of :mod:`foleygan_tf.training.paired_losses` (our addition, not in
  the paper): L1 between G's image and the real image of the same window, on the loudness envelope
  (``gan.envelope_loss``), the average spectrum (``gan.spectrum_loss``) and the onset strength
  (``gan.onset_loss``); each is logged (``g_envelope``, ``g_spectrum``, ``g_onset``) even when
  its weight is 0.

The optimizers' ``iterations`` count their own updates: D's is the ``optimizer_updates`` of the
history, and a ``train_step`` advances it by ``d_steps``.

Data (a dict per example, ``foleygan_tf.training.gan_inputs``): ``image`` [R, R, 3] real
spectrogram, ``class`` int32 label and optionally ``class_probs`` [C] (G's and D's class input when
present: the MTRN's probabilities, ``gan.class_source = "mtrn"``), ``action_spectrogram``
[R, R, 3], ``action_curve`` [R].
"""

from __future__ import annotations

import keras
import tensorflow as tf

from foleygan_tf.models import ModelEMA, build_discriminator, build_generator, orthogonal_regularization
from foleygan_tf.models.layers import fixed_kernels, spectral_norm_layers
from foleygan_tf.training.fused_adam import FusedAdam
from foleygan_tf.training.paired_losses import PAIRED_LOSSES

# The parts generator_objective returns, in this order, and the metric each is logged as.
GENERATOR_METRIC_NAMES = {"adversarial": "g_loss", "ortho": "ortho_reg",
                          **{field: metric for field, (_, metric) in PAIRED_LOSSES.items()}}
GENERATOR_LOSS_PARTS = tuple(GENERATOR_METRIC_NAMES)
METRIC_NAMES = ("d_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm") + tuple(GENERATOR_METRIC_NAMES.values())


def hinge_d_loss(real_logits, fake_logits):
    """L_D = E[max(0, 1 − D(x, y))] + E[max(0, 1 + D(G(z, y), y))] (eq. 3); also the two parts."""
    real = tf.reduce_mean(tf.nn.relu(1.0 - real_logits))
    fake = tf.reduce_mean(tf.nn.relu(1.0 + fake_logits))
    return real + fake, real, fake


def hinge_g_loss(fake_logits):
    """L_G = −E[D(G(z, y), y)] (eq. 3)."""
    return -tf.reduce_mean(fake_logits)


def accumulate_gradients(loss_fn, variables, group, k: int, num_parts: int, fixed=None):
    """Sum the gradients of ``loss_fn`` over the ``k`` micro-batches of ``group`` with a
    ``tf.while_loop`` (loop-carried sums: the accumulators). ``loss_fn(batch) → (loss, parts)``
    with ``num_parts`` scalar parts (the loop needs their count before tracing ``loss_fn``);
    each micro-batch loss is divided by ``k``, so the sum is the gradient of the mean loss.
    Returns ``(gradients, [mean loss, mean part…])``.

    ``fixed = (layers, kernels, targets)``: spectrally normalised ``layers`` apply the tensors
    ``kernels`` in every micro-batch (``models.layers.fixed_kernels``) and the gradients w.r.t.
    ``kernels[i]`` for ``i in targets`` are summed too (in float32), returned as a third value."""
    layers, kernels, targets = fixed or ((), (), ())
    n_vars = len(variables)
    zeros = [tf.zeros_like(v) for v in variables] + [tf.zeros(kernels[i].shape, tf.float32) for i in targets]

    def body(i, grads, totals):
        batch = {key: value[i] for key, value in group.items()}
        # the captured kernels, as tensors of this loop body (what the tape can watch)
        local = [tf.identity(kernel) for kernel in kernels]
        with fixed_kernels(layers, local), tf.GradientTape() as tape:
            tape.watch([local[j] for j in targets])
            loss, parts = loss_fn(batch)
            if len(parts) != num_parts:  # at trace time
                raise ValueError(f"loss_fn returned {len(parts)} parts, expected num_parts={num_parts}")
            scaled = loss / float(k)
        new = tape.gradient(scaled, list(variables) + [local[j] for j in targets])
        # None: a variable the loss does not read in the loop (a raw kernel whose W/σ is fixed)
        grads = [g if n is None else g + tf.cast(n, g.dtype) for g, n in zip(grads, new)]
        totals = [t + tf.cast(p, tf.float32) / float(k) for t, p in zip(totals, (loss,) + tuple(parts))]
        return i + 1, grads, totals

    _, grads, totals = tf.while_loop(
        lambda i, *_: i < k, body,
        (tf.constant(0), zeros, [tf.zeros((), tf.float32)] * (1 + num_parts)))
    if fixed is None:
        return grads, totals
    return grads[:n_vars], totals, grads[n_vars:]


class NormalizedKernels:
    """The kernels W/σ of spectrally normalised ``layers`` computed once — one power iteration and
    one ``u`` update per layer — under a tape, for ``update_gradients``: the layers apply them in
    every micro-batch and the accumulated gradient is backpropagated through W/σ once, after the
    loop (switch ``train.spectral_norm_per_update``). Valid while the weights do not change."""

    def __init__(self, layers):
        self.layers = list(layers)
        with tf.GradientTape() as self.tape:
            self.values = [layer.normalized_kernel(training=True) for layer in self.layers]

    def kernel_gradients(self, values_gradients):
        """Gradients w.r.t. the raw kernels for gradients w.r.t. ``values`` (u, v carry none)."""
        return self.tape.gradient(self.values, [layer.kernel for layer in self.layers],
                                  output_gradients=[tf.cast(g, v.dtype) for g, v in zip(values_gradients, self.values)])


def update_gradients(loss_fn, variables, group, k: int, num_parts: int, fixed=(), trained=None):
    """``(gradients, [mean loss, mean part…])`` of one optimizer update, as ``accumulate_gradients``.

    Without ``fixed`` (or with Nones), every spectrally normalised layer runs its power iteration
    on each call (BigGAN-PyTorch). ``fixed``: :class:`NormalizedKernels` of every spectrally
    normalised layer the loss calls, applied in each micro-batch; ``trained`` (one of them, the
    kernels of ``variables``' network): its accumulated gradient is backpropagated through W/σ once,
    after the loop. The gradient is exact for the σ used (``u`` and ``v`` carry no gradient, as
    always); only how often ``u`` is refined changes. Fewer, larger ops per micro-batch, and a
    smaller graph to trace."""
    fixed = [f for f in fixed if f is not None]
    if not fixed:
        return accumulate_gradients(loss_fn, variables, group, k, num_parts)
    layers = [layer for f in fixed for layer in f.layers]
    kernels = [value for f in fixed for value in f.values]
    start = sum(len(f.layers) for f in fixed[:fixed.index(trained)])
    targets = list(range(start, start + len(trained.layers)))
    grads, totals, kernel_grads = accumulate_gradients(loss_fn, variables, group, k, num_parts,
                                                       fixed=(layers, kernels, targets))
    position = {id(v): j for j, v in enumerate(variables)}
    grads = list(grads)
    for layer, g in zip(trained.layers, trained.kernel_gradients(kernel_grads)):
        j = position[id(layer.kernel)]
        grads[j] = grads[j] + tf.cast(g, grads[j].dtype)
    return grads, totals


class FoleyGAN(keras.Model):
    """Owns G, D, the EMA copy of G and both optimizers; trains with ``fit``.

    Args:
        config: the top-level :class:`~foleygan_tf.config.Config`.
        generator, discriminator: optional pre-built networks (default: built from ``config``).
    """

    def __init__(self, config, generator=None, discriminator=None, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.generator = generator or build_generator(config)
        self.discriminator = discriminator or build_discriminator(config)
        self.ema = ModelEMA(self.generator, decay=config.gan.ema_decay, start_step=config.gan.ema_start)
        self.d_steps = int(config.train.d_steps)
        self.accumulation_steps = int(config.train.accumulation_steps)
        self.z_dim = int(config.gan.z_dim)
        self.uses_guidance = config.gan.guidance != "none"
        self.d_sees_action = bool(config.gan.d_sees_action)
        self.paired_weights = {name: float(getattr(config.gan, name)) for name in PAIRED_LOSSES}
        self.spectral_norm_per_update = bool(config.train.spectral_norm_per_update)
        self.seed_generator = tf.random.Generator.from_seed(config.seed)
        self.phase = "adversarial"
        self.g_updates = tf.Variable(0, dtype=tf.int64, trainable=False, name="g_updates",
                                     aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        # The last step's values (replica mean), for per-step history records; the Mean trackers
        # above average over the epoch for fit's progress bar and History.
        self.last_values = {name: tf.Variable(0.0, trainable=False, name=f"last_{name}",
                                              aggregation=tf.VariableAggregation.MEAN)
                            for name in METRIC_NAMES}
        self.built = True  # G, D and the EMA copy create their weights at construction

    @property
    def ema_generator(self):
        return self.ema.average

    @property
    def micro_batches_per_step(self) -> int:
        """Micro-batches of real data one ``train_step`` consumes (= d_steps × accumulation)."""
        return self.d_steps * self.accumulation_steps

    def optimizer_updates(self) -> int:
        """Discriminator updates so far (the ``optimizer_updates`` of history.json)."""
        return int(self.d_optimizer.iterations.numpy())

    def micro_batches_seen(self) -> int:
        """The ``step`` of history.json: micro-batches of real data seen (derived, not stored)."""
        return self.optimizer_updates() * self.accumulation_steps

    def checkpoint(self) -> tf.train.Checkpoint:
        """Everything a resume needs: G, D, EMA-G (all their variables, BN statistics and SN ``u``
        included), the D, G and D-pre-training optimizers, the G-update counter and the z RNG state.

        (Gradient accumulators are loop-carried inside one ``train_step``, so a checkpoint taken
        between steps never holds a half-accumulated gradient.)"""
        return tf.train.Checkpoint(generator=variables_by_index(self.generator),
                                   discriminator=variables_by_index(self.discriminator),
                                   ema_generator=variables_by_index(self.ema.average),
                                   d_optimizer=self.d_optimizer,
                                   g_optimizer=self.g_optimizer, g_updates=self.g_updates,
                                   d_pretrain_optimizer=self.d_pretrain_optimizer,
                                   seed_generator=self.seed_generator)

    def compile(self, d_optimizer=None, g_optimizer=None, jit_compile=None, **kwargs):
        t = self.config.train
        self.d_optimizer = d_optimizer or FusedAdam(
            t.lr_d, beta_1=t.beta_1, beta_2=t.beta_2, epsilon=t.adam_eps, name="d_adam")
        self.g_optimizer = g_optimizer or FusedAdam(
            t.lr_g, beta_1=t.beta_1, beta_2=t.beta_2, epsilon=t.adam_eps, name="g_adam")
        self.d_pretrain_optimizer = FusedAdam(
            t.lr_d, beta_1=t.beta_1, beta_2=t.beta_2, epsilon=t.adam_eps, name="d_pretrain_adam")
        # Create the optimizer slots now: their variables must exist before a checkpoint restore.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.d_pretrain_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        super().compile(jit_compile=t.jit_compile if jit_compile is None else jit_compile, **kwargs)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras 3.15 reduces a first batch across replicas to build the model symbolically, which
        # fails for dict batches under MultiWorkerMirroredStrategy ("Attempt to convert a value
        # ({'image': PerReplica…}) … to a Tensor"). Nothing needs building: the networks create
        # their weights at construction, ``compile`` builds the optimizers, the Mean trackers exist.
        return

    # ---- one step ---------------------------------------------------------------------------
    def _split(self, data):
        """Flat ``[d·k·b, …]`` → ``[d, k, b, …]`` for every field."""
        d, k = self.d_steps, self.accumulation_steps

        def view(x):
            x = tf.convert_to_tensor(x)
            return tf.reshape(x, tf.concat([[d, k, -1], tf.shape(x)[1:]], axis=0))

        return {key: view(value) for key, value in data.items()}

    def _class_input(self, batch):
        return batch["class_probs"] if "class_probs" in batch else batch["class"]

    def _g_inputs(self, batch, z):
        inputs = {"z": z, "class": self._class_input(batch)}
        if self.uses_guidance:
            inputs["action_spectrogram"] = batch["action_spectrogram"]
            inputs["action_curve"] = batch["action_curve"]
        return inputs

    def _d_inputs(self, image, batch):
        inputs = {"image": image, "class": self._class_input(batch)}
        if self.d_sees_action:
            inputs["action_spectrogram"] = batch["action_spectrogram"]
        return inputs

    def _z(self, batch):
        n = tf.shape(batch["image"])[0]
        return self.seed_generator.normal(tf.stack([n, self.z_dim]))

    def set_phase(self, phase: str):
        """``"adversarial"`` (default) or ``"d_pretrain"``; ``fit`` re-traces its step function."""
        if phase not in ("adversarial", "d_pretrain"):
            raise ValueError(f"unknown training phase {phase!r}")
        self.phase = phase
        self.train_function = None
        self.make_train_function(force=True)

    def pretrain_updates(self) -> int:
        return int(self.d_pretrain_optimizer.iterations.numpy())

    def _d_pretrain_step(self, groups):
        """D pre-training on real spectrograms only (paper §IV-B-2: "the discriminator block
        pretrained with original spectrogram image S_real"): a matching-aware hinge loss —
        (real image, its class) is "real", (real image, another class) is "fake" — which teaches D
        the class structure of real sounds without a generator. Same accumulation and d_steps
        layout as the adversarial step; its own optimizer."""
        d_vars = self.discriminator.trainable_variables
        replicas = float(tf.distribute.get_strategy().num_replicas_in_sync)
        num_classes = self.config.num_classes

        def loss_fn(batch):
            labels = tf.cast(batch["class"], tf.int32)
            shift = self.seed_generator.uniform(tf.shape(labels), 1, num_classes, dtype=tf.int32)
            wrong = {**batch, "class": (labels + shift) % num_classes}
            wrong.pop("class_probs", None)
            right = {**batch, "class": labels}
            right.pop("class_probs", None)
            real_logits, wrong_logits = self._discriminate_pair(self._d_inputs(batch["image"], right),
                                                                self._d_inputs(batch["image"], wrong))
            loss, real, fake = hinge_d_loss(real_logits, wrong_logits)
            return loss, (real, fake)

        for d in range(self.d_steps):
            d_kernels = self._normalized_kernels(self.discriminator)
            grads, (loss, real, fake) = update_gradients(loss_fn, d_vars, groups_at(groups, d), self.accumulation_steps,
                                                         2, fixed=[d_kernels], trained=d_kernels)
            self.d_pretrain_optimizer.apply_gradients(zip([g / replicas for g in grads], d_vars))
        values = {"d_loss": loss, "d_real": real, "d_fake": fake}
        for name, value in values.items():
            self.trackers[name].update_state(value)
            self.last_values[name].assign(value)
        return _logs({name: self.trackers[name].result() for name in values})

    def _normalized_kernels(self, network):
        """``NormalizedKernels`` of ``network`` with ``train.spectral_norm_per_update``, else None."""
        return NormalizedKernels(spectral_norm_layers(network)) if self.spectral_norm_per_update else None

    def _discriminate_pair(self, first, second):
        """D's logits for two input dicts with the same keys, computed as one batch (as
        BigGAN-PyTorch's ``G_D`` concatenates fake and real): D has no batch statistics, so this
        equals two calls — with half the ops, each on a batch twice as large."""
        both = {key: tf.concat([first[key], second[key]], axis=0) for key in first}
        return tf.split(self.discriminator(both, training=True), 2)

    def discriminator_objective(self, fake, batch):
        """D's hinge loss (eq. 3) on the real images of ``batch`` and G's images ``fake`` of the
        same conditions (one micro-batch): ``(loss, real part, fake part)``; no gradient flows
        into ``fake``."""
        real_logits, fake_logits = self._discriminate_pair(self._d_inputs(batch["image"], batch),
                                                           self._d_inputs(tf.stop_gradient(fake), batch))
        return hinge_d_loss(real_logits, fake_logits)

    def generator_objective(self, fake, batch, ortho=None):
        """G's loss for generated images ``fake`` [B, R, R, 3] of ``batch`` (one micro-batch).

        Returns ``(loss, parts)``, one scalar part per name in :data:`GENERATOR_LOSS_PARTS`: the
        hinge loss of D on ``fake`` plus orthogonal regularisation (the paper) plus the weighted
        paired losses against the real images of the same windows (our addition; each part is
        computed for logging even when its weight is 0 — they are cheap means). ``ortho``: the
        regularisation term computed by the caller (``train_step`` computes it, and its gradient,
        once per G update rather than once per micro-batch: it does not depend on the batch).
        """
        adversarial = hinge_g_loss(self.discriminator(self._d_inputs(fake, batch), training=True))
        if ortho is None:
            ortho = orthogonal_regularization(self.generator, self.config.gan.ortho_reg)
        loss, parts = adversarial + ortho, [adversarial, ortho]
        for name, (paired_loss, _) in PAIRED_LOSSES.items():
            term = paired_loss(fake, batch["image"])
            if self.paired_weights[name] > 0:
                loss = loss + self.paired_weights[name] * term
            parts.append(term)
        return loss, tuple(parts)

    # Plain Python at trace time: every branch and loop of the step is decided by the config, so
    # AutoGraph's conversion of the step and of every function and layer it calls (≈ a quarter of
    # the tracing time) buys nothing.
    @tf.autograph.experimental.do_not_convert
    def train_step(self, data):
        groups = self._split(data)
        if self.phase == "d_pretrain":
            return self._d_pretrain_step(groups)
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        replicas = float(tf.distribute.get_strategy().num_replicas_in_sync)

        def d_loss_fn(batch):
            fake = self.generator(self._g_inputs(batch, self._z(batch)), training=True)
            loss, real, fake_part = self.discriminator_objective(fake, batch)
            return loss, (real, fake_part)


        # Orthogonal regularisation depends on G's weights only: its value and gradient once per G
        # update, outside the micro-batch loop (inside, a constant that keeps the logged loss).
        with tf.GradientTape() as tape:
            ortho = orthogonal_regularization(self.generator, self.config.gan.ortho_reg)
        ortho_grads = tape.gradient(ortho, g_vars)

        def g_loss_fn(batch):
            fake = self.generator(self._g_inputs(batch, self._z(batch)), training=True)
            return self.generator_objective(fake, batch, ortho=tf.stop_gradient(ortho))


        # train.spectral_norm_per_update: each W/σ once per change of its weights — G's for the
        # whole step (G changes in its update only), D's before each of its updates and the G update
        k = self.accumulation_steps
        g_kernels = self._normalized_kernels(self.generator)
        for d in range(self.d_steps):  # unrolled: d_steps is small (BigGAN: 2)
            d_kernels = self._normalized_kernels(self.discriminator)
            d_grads, (d_loss, d_real, d_fake) = update_gradients(
                d_loss_fn, d_vars, groups_at(groups, d), k, 2, fixed=[g_kernels, d_kernels], trained=d_kernels)
            d_grads = [g / replicas for g in d_grads]
            self.d_optimizer.apply_gradients(zip(d_grads, d_vars))

        d_kernels = self._normalized_kernels(self.discriminator)
        g_grads, (_, *g_parts) = update_gradients(
            g_loss_fn, g_vars, groups_at(groups, self.d_steps - 1), k, len(GENERATOR_LOSS_PARTS),
            fixed=[g_kernels, d_kernels], trained=g_kernels)
        g_parts = dict(zip(GENERATOR_LOSS_PARTS, g_parts))
        g_grads = [(g if o is None else g + o) / replicas for g, o in zip(g_grads, ortho_grads)]
        self.g_optimizer.apply_gradients(zip(g_grads, g_vars))
        self.g_updates.assign_add(1)
        self.ema.update(self.g_updates)

        values = {"d_loss": d_loss, "d_real": d_real, "d_fake": d_fake,
                  "d_grad_norm": tf.linalg.global_norm(d_grads), "g_grad_norm": tf.linalg.global_norm(g_grads),
                  **{GENERATOR_METRIC_NAMES[part]: value for part, value in g_parts.items()}}
        for name, value in values.items():
            self.trackers[name].update_state(value)
            self.last_values[name].assign(value)
        return _logs({name: tracker.result() for name, tracker in self.trackers.items()})

    def call(self, inputs, training=False):
        """Inference with the EMA generator: ``inputs`` as for :class:`Generator`."""
        return self.ema.average(inputs, training=training)


def _logs(values: dict) -> dict:
    """Step outputs for ``fit``. Under MultiWorkerMirroredStrategy Keras 3.15 reduces them with
    ``strategy.reduce("MEAN", v, axis=0)``, which rejects scalars: give it ``[1]`` vectors there
    (the reduction returns scalars again)."""
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        return {name: tf.reshape(value, [1]) for name, value in values.items()}
    return values


def variables_by_index(model) -> dict:
    """``{"v0000": variable, …}`` over *all* of a model's variables (trainable, BN statistics,
    spectral-norm ``u``), in construction order.

    Why not ``tf.train.Checkpoint(generator=model)``: with Keras 3.15 on TF, layers held in Python
    lists (our G/D blocks, the guidance convs) are not TF-trackable children in checkpoint mode
    (``TFLayer._trackable_children`` converts Keras' tracked lists only for SavedModel), so their
    non-trainable variables would silently be left out — a resumed run then differs from an
    uninterrupted one. Construction order is fixed by the config, which a resume must match."""
    return {f"v{i:04d}": v for i, v in enumerate(model.variables)}


def groups_at(groups, d):
    return {key: value[d] for key, value in groups.items()}
