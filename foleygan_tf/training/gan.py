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
* hinge losses (eq. 3), orthogonal regularisation of G (β = ``gan.ortho_reg``), EMA of G after each
  G update;
* optionally (``gan.envelope_loss`` > 0, our addition — not in the paper) a paired L1 loss between
  the loudness envelopes over time of G's image and the real image of the same window (the window
  whose S_act/P_act condition G): a direct signal for *when* the sound must be loud. Logged as
  ``g_envelope`` in every case; likewise ``gan.spectrum_loss`` / ``g_spectrum`` on the average
  spectrum (ch0 averaged over time: the timbre of the class), and ``gan.onset_loss`` /
  ``g_onset`` on the onset strength over time (the spectral flux of ch0: where the sound *starts*,
  and a steady background, which the loudness envelope averages away), and ``gan.magnitude_loss``
  / ``g_magnitude`` on the whole log-magnitude channel (pix2pix's paired L1), and
  ``gan.waveform_onset_loss`` / ``g_wave_onset`` on the onset envelope of the *decoded waveform*
  (codec decode + ISTFT inside the step, as the export does), against that of the decoded real
  image; and ``gan.waveform_stft_loss`` / ``g_wave_stft`` on the fine log-magnitude STFT (the onset
  analysis: ≈ 46 ms window, 10 ms hop) of G's image decoded *with its own phase channel* (no
  Griffin-Lim) against that of the real window's audio.

The optimizers' ``iterations`` count their own updates: D's is the ``optimizer_updates`` of the
history, and a ``train_step`` advances it by ``d_steps``.

Data (a dict per example): ``image`` [R, R, 3] real spectrogram, ``class`` int32 label or
``class_probs`` [C] soft label, ``action_spectrogram`` [R, R, 3], ``action_curve`` [R].
"""

from __future__ import annotations

import keras
import tensorflow as tf

from foleygan_tf.models import Discriminator, Generator, ModelEMA, orthogonal_regularization


# The parts generator_objective returns, in this order, and the metric each is logged as.
GENERATOR_METRIC_NAMES = {"adversarial": "g_loss", "ortho": "ortho_reg", "envelope": "g_envelope",
                          "spectrum": "g_spectrum", "onset": "g_onset", "magnitude": "g_magnitude",
                          "wave_onset": "g_wave_onset", "wave_stft": "g_wave_stft"}
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


def time_envelope(image):
    """Loudness envelope of spectrogram images ``[B, R(time), R(freq), 3]`` → ``[B, R]``: ch0 (the
    log magnitude in every encoding, −1 = the codec's floor) averaged over frequency."""
    return tf.reduce_mean(tf.cast(image[..., 0], tf.float32), axis=-1)


def envelope_l1(fake, real):
    """``mean |envelope(fake) − envelope(real)|`` (:func:`time_envelope`) — the paired loudness
    envelope loss of ``gan.envelope_loss`` (our addition, docs/training.md)."""
    return tf.reduce_mean(tf.abs(time_envelope(fake) - time_envelope(real)))


def frequency_profile(image):
    """Average spectrum of spectrogram images ``[B, R(time), R(freq), 3]`` → ``[B, R]``: ch0
    averaged over time."""
    return tf.reduce_mean(tf.cast(image[..., 0], tf.float32), axis=1)


def spectrum_l1(fake, real):
    """``mean |profile(fake) − profile(real)|`` (:func:`frequency_profile`) — the paired
    average-spectrum loss of ``gan.spectrum_loss`` (our addition, docs/training.md)."""
    return tf.reduce_mean(tf.abs(frequency_profile(fake) - frequency_profile(real)))


def onset_strength(image):
    """Onset strength over time of spectrogram images ``[B, R(time), R(freq), 3]`` → ``[B, R − 1]``:
    the spectral flux of ch0 (log magnitude), ``mean_f max(0, ch0[t + 1, f] − ch0[t, f])`` — the
    same quantity (in the image's scaling) the onset metric peak-picks (``evaluation.sync``)."""
    log_mag = tf.cast(image[..., 0], tf.float32)
    return tf.reduce_mean(tf.nn.relu(log_mag[:, 1:] - log_mag[:, :-1]), axis=-1)


def onset_l1(fake, real):
    """``mean |onset_strength(fake) − onset_strength(real)|`` (:func:`onset_strength`) — the paired
    onset loss of ``gan.onset_loss`` (our addition, docs/training.md). The loudness envelope is
    blind to a background that flickers bin by bin (its mean over frequency is steady); the flux is
    not, so this loss asks for real-like steady backgrounds and sharp attacks at the right columns."""
    return tf.reduce_mean(tf.abs(onset_strength(fake) - onset_strength(real)))


def magnitude_l1(fake, real):
    """``mean |ch0(fake) − ch0(real)|`` over time and frequency — the paired log-magnitude loss of
    ``gan.magnitude_loss`` (our addition, pix2pix's L1 term; docs/training.md)."""
    return tf.reduce_mean(tf.abs(tf.cast(fake[..., 0], tf.float32) - tf.cast(real[..., 0], tf.float32)))


def waveform_onset_l1(fake, real, codec):
    """``mean |env(decode(fake)) − env(decode(real))|`` with ``env`` the normalised spectral-flux
    onset envelope of the sync metric's analysis (``data.pipeline.audio_onset_envelope``, ≈ 46 ms
    window, 10 ms hop) and ``decode`` the codec's image → waveform (differentiable TF ops,
    Griffin-Lim iterations included). The loss of ``gan.waveform_onset_loss`` (our addition,
    docs/training.md): the image-domain losses cannot see how G's phase channel smears or splits
    an attack once the image is turned into sound."""
    from foleygan_tf.data.pipeline import audio_onset_envelope

    fake_env, _ = audio_onset_envelope(codec.decode(tf.cast(fake, tf.float32)), codec.sample_rate)
    real_env, _ = audio_onset_envelope(codec.decode(tf.cast(real, tf.float32)), codec.sample_rate)
    return tf.reduce_mean(tf.abs(fake_env - tf.stop_gradient(real_env)))


# log(ε + |X|) of the fine analysis: the floor of the onset envelope's log (data.pipeline)
WAVE_STFT_EPS = 1e-3


def phase_decoding_codec(audio_config):
    """The codec that decodes G's image with G's own phase channel and no Griffin-Lim (LMS:
    ``lms_refine_iters = 0``; STFT decodes with its phase anyway) — what ``gan.waveform_stft_loss``
    trains. Raises ``ValueError`` for encodings without a phase channel (ms, mfcc, cqt)."""
    import dataclasses

    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.config import PHASE_ENCODINGS

    if audio_config.encoding not in PHASE_ENCODINGS:
        raise ValueError(f"gan.waveform_stft_loss needs a phase channel: audio.encoding one of "
                         f"{PHASE_ENCODINGS}, got {audio_config.encoding!r}")
    return SpectrogramCodec(dataclasses.replace(audio_config, lms_refine_iters=0))


def waveform_stft_l1(fake, real_wave, codec):
    """``mean |log(ε + |S(decode(fake))|) − log(ε + |S(real_wave)|)|`` with ``S`` the onset analysis
    STFT (``data.pipeline.onset_analysis_magnitude``: ≈ 46 ms window, 10 ms hop) and ``decode``
    :func:`phase_decoding_codec`'s (G's phase channel, no Griffin-Lim: a linear ISTFT, so the
    gradient is well conditioned and reaches the phase channel). The loss of
    ``gan.waveform_stft_loss`` (our addition, docs/training.md): within one of the image's STFT
    frames only the phase places an attack in time; this asks G for a phase that does.
    ``fake`` [B, R, R, 3], ``real_wave`` [B, clip_samples] → scalar."""
    from foleygan_tf.data.pipeline import onset_analysis_magnitude

    fake_mag, _ = onset_analysis_magnitude(codec.decode(tf.cast(fake, tf.float32)), codec.sample_rate)
    real_mag, _ = onset_analysis_magnitude(tf.cast(real_wave, tf.float32), codec.sample_rate)
    return tf.reduce_mean(tf.abs(tf.math.log(WAVE_STFT_EPS + fake_mag)
                                 - tf.stop_gradient(tf.math.log(WAVE_STFT_EPS + real_mag))))


def accumulate_gradients(loss_fn, variables, group, k: int, num_parts: int):
    """Sum the gradients of ``loss_fn`` over the ``k`` micro-batches of ``group`` with a
    ``tf.while_loop`` (loop-carried sums: the accumulators). ``loss_fn(batch) → (loss, parts)``
    with ``num_parts`` scalar parts (the loop needs their count before tracing ``loss_fn``);
    each micro-batch loss is divided by ``k``, so the sum is the gradient of the mean loss.
    Returns ``(gradients, [mean loss, mean part…])``."""
    zeros = [tf.zeros_like(v) for v in variables]

    def body(i, grads, totals):
        batch = {key: value[i] for key, value in group.items()}
        with tf.GradientTape() as tape:
            loss, parts = loss_fn(batch)
            if len(parts) != num_parts:  # at trace time
                raise ValueError(f"loss_fn returned {len(parts)} parts, expected num_parts={num_parts}")
            scaled = loss / float(k)
        new = tape.gradient(scaled, variables)
        grads = [g + tf.cast(n, g.dtype) for g, n in zip(grads, new)]
        totals = [t + tf.cast(p, tf.float32) / float(k) for t, p in zip(totals, (loss,) + tuple(parts))]
        return i + 1, grads, totals

    _, grads, totals = tf.while_loop(
        lambda i, *_: i < k, body,
        (tf.constant(0), zeros, [tf.zeros((), tf.float32)] * (1 + num_parts)))
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
        self.generator = generator or Generator(config)
        self.discriminator = discriminator or Discriminator(config)
        self.ema = ModelEMA(self.generator, decay=config.gan.ema_decay, start_step=config.gan.ema_start)
        self.d_steps = int(config.train.d_steps)
        self.accumulation_steps = int(config.train.accumulation_steps)
        self.z_dim = int(config.gan.z_dim)
        self.uses_guidance = config.gan.guidance != "none"
        self.d_sees_action = bool(config.gan.d_sees_action)
        self.envelope_weight = float(config.gan.envelope_loss)
        self.spectrum_weight = float(config.gan.spectrum_loss)
        self.onset_weight = float(config.gan.onset_loss)
        self.magnitude_weight = float(config.gan.magnitude_loss)
        self.wave_onset_weight = float(config.gan.waveform_onset_loss)
        self.codec = None
        if self.wave_onset_weight > 0:
            from foleygan_tf.audio import SpectrogramCodec

            self.codec = SpectrogramCodec(config.audio)
        self.wave_stft_weight = float(config.gan.waveform_stft_loss)
        self.phase_codec = phase_decoding_codec(config.audio) if self.wave_stft_weight > 0 else None
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
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(
            t.lr_d, beta_1=t.beta_1, beta_2=t.beta_2, epsilon=t.adam_eps, name="d_adam")
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(
            t.lr_g, beta_1=t.beta_1, beta_2=t.beta_2, epsilon=t.adam_eps, name="g_adam")
        self.d_pretrain_optimizer = keras.optimizers.Adam(
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
        k = self.accumulation_steps
        replicas = float(tf.distribute.get_strategy().num_replicas_in_sync)
        num_classes = self.config.num_classes

        def loss_fn(batch):
            labels = tf.cast(batch["class"], tf.int32)
            shift = self.seed_generator.uniform(tf.shape(labels), 1, num_classes, dtype=tf.int32)
            wrong = {**batch, "class": (labels + shift) % num_classes}
            wrong.pop("class_probs", None)
            right = {**batch, "class": labels}
            right.pop("class_probs", None)
            real_logits = self.discriminator(self._d_inputs(batch["image"], right), training=True)
            wrong_logits = self.discriminator(self._d_inputs(batch["image"], wrong), training=True)
            loss, real, fake = hinge_d_loss(real_logits, wrong_logits)
            return loss, (real, fake)

        for d in range(self.d_steps):
            grads, (loss, real, fake) = accumulate_gradients(loss_fn, d_vars, groups_at(groups, d), k,
                                                             num_parts=2)
            self.d_pretrain_optimizer.apply_gradients(zip([g / replicas for g in grads], d_vars))
        values = {"d_loss": loss, "d_real": real, "d_fake": fake}
        for name, value in values.items():
            self.trackers[name].update_state(value)
            self.last_values[name].assign(value)
        return _logs({name: self.trackers[name].result() for name in values})

    def generator_objective(self, fake, batch):
        """G's loss for generated images ``fake`` [B, R, R, 3] of ``batch`` (one micro-batch).

        Returns ``(loss, parts)``, one scalar part per name in :data:`GENERATOR_LOSS_PARTS`: the
        hinge loss of D on ``fake`` plus orthogonal regularisation (the paper) plus the
        weighted paired losses against the real images of the same windows (our additions, 0 =
        off). The unweighted image losses are cheap means and always returned for logging; the
        waveform losses need a decode and are computed only when weighted (0 otherwise;
        ``gan.waveform_stft_loss`` needs the real audio as ``batch["wave"]``).
        """
        adversarial = hinge_g_loss(self.discriminator(self._d_inputs(fake, batch), training=True))
        ortho = orthogonal_regularization(self.generator, self.config.gan.ortho_reg)
        # the real spectrogram of the same window tells G *when* the sound is loud, its timbre, …
        envelope = envelope_l1(fake, batch["image"])
        spectrum = spectrum_l1(fake, batch["image"])
        onset = onset_l1(fake, batch["image"])
        magnitude = magnitude_l1(fake, batch["image"])
        wave_onset = (waveform_onset_l1(fake, batch["image"], self.codec) if self.codec is not None
                      else tf.zeros([]))
        wave_stft = (waveform_stft_l1(fake, batch["wave"], self.phase_codec) if self.phase_codec is not None
                     else tf.zeros([]))
        loss = adversarial + ortho
        for weight, term in ((self.envelope_weight, envelope), (self.spectrum_weight, spectrum),
                             (self.onset_weight, onset), (self.magnitude_weight, magnitude)):
            if weight > 0:
                loss = loss + weight * term
        if self.codec is not None:
            loss = loss + self.wave_onset_weight * wave_onset
        if self.phase_codec is not None:
            loss = loss + self.wave_stft_weight * wave_stft
        return loss, (adversarial, ortho, envelope, spectrum, onset, magnitude, wave_onset, wave_stft)

    def train_step(self, data):
        groups = self._split(data)
        if self.phase == "d_pretrain":
            return self._d_pretrain_step(groups)
        k = self.accumulation_steps
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        replicas = float(tf.distribute.get_strategy().num_replicas_in_sync)

        def d_loss_fn(batch):
            fake = self.generator(self._g_inputs(batch, self._z(batch)), training=True)
            real_logits = self.discriminator(self._d_inputs(batch["image"], batch), training=True)
            fake_logits = self.discriminator(self._d_inputs(tf.stop_gradient(fake), batch), training=True)
            loss, real, fake_part = hinge_d_loss(real_logits, fake_logits)
            return loss, (real, fake_part)


        def g_loss_fn(batch):
            fake = self.generator(self._g_inputs(batch, self._z(batch)), training=True)
            return self.generator_objective(fake, batch)


        for d in range(self.d_steps):  # unrolled: d_steps is small (BigGAN: 2)
            d_grads, (d_loss, d_real, d_fake) = accumulate_gradients(d_loss_fn, d_vars, groups_at(groups, d), k,
                                                                     num_parts=2)
            d_grads = [g / replicas for g in d_grads]
            self.d_optimizer.apply_gradients(zip(d_grads, d_vars))

        g_grads, (_, *g_parts) = accumulate_gradients(g_loss_fn, g_vars, groups_at(groups, self.d_steps - 1), k,
                                                     num_parts=len(GENERATOR_LOSS_PARTS))
        g_parts = dict(zip(GENERATOR_LOSS_PARTS, g_parts))
        g_grads = [g / replicas for g in g_grads]
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
