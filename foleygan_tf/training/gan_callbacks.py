"""Callbacks of GAN training: history + checkpoints + NaN guard (one callback, so their order is
fixed), and TensorBoard samples (spectrogram images and decoded audio of the EMA generator)."""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from foleygan_tf.training.gan import METRIC_NAMES


class GANRunKeeper(keras.callbacks.Callback):
    """History records, periodic checkpoints and the NaN/inf guard.

    * after each ``train_step``: if any loss is NaN/inf, stop training *without* saving, so the last
      checkpoint on disk stays the last good one (``self.diverged`` tells the caller);
    * a history record every ``log_every`` micro-batches: ``step`` (micro-batches seen),
      ``optimizer_updates`` (D updates), ``g_updates`` and the step's metrics;
    * a checkpoint (and history flush) every ``checkpoint_every`` optimizer updates and at the end.
    """

    def __init__(self, run_dir, manager: tf.train.CheckpointManager, history: list, log_every: int,
                 checkpoint_every: int, scalar_writer=None):
        super().__init__()
        self.run_dir, self.manager, self.history = run_dir, manager, history
        self.log_every, self.checkpoint_every = max(1, log_every), max(1, checkpoint_every)
        self.scalar_writer = scalar_writer
        self.diverged = None

    def _crossed(self, before: int, after: int, every: int) -> bool:
        return after // every > before // every

    def on_train_batch_end(self, batch, logs=None):
        gan = self.model
        values = {name: float(gan.last_values[name].numpy()) for name in METRIC_NAMES}
        updates = gan.optimizer_updates()
        step = updates * gan.accumulation_steps
        if not all(math.isfinite(v) for v in values.values()):
            self.diverged = {"step": step, "optimizer_updates": updates, **values}
            gan.stop_training = True
            return
        before = step - gan.micro_batches_per_step
        if self._crossed(before, step, self.log_every):
            record = {"step": step, "optimizer_updates": updates, "g_updates": int(gan.g_updates.numpy()),
                      **{k: round(v, 6) for k, v in values.items()}}
            self.history.append(record)
            if self.scalar_writer is not None:
                with self.scalar_writer.as_default(step=step):
                    for name, value in values.items():
                        tf.summary.scalar(f"gan/{name}", value)
        if self._crossed(updates - gan.d_steps, updates, self.checkpoint_every):
            self.save()

    def save(self):
        # history first: a kill between the two writes then leaves records *ahead* of the last
        # checkpoint, which the resume drops and re-logs (fit_gan.resumable_history) — the other
        # order lost the records of the interval (seen once in CI: a SIGKILL landed between them)
        updates = self.model.optimizer_updates()
        self.run_dir.write_history(self.history)
        self.manager.save(checkpoint_number=updates)

    def on_train_end(self, logs=None):
        if self.diverged is None:
            self.save()


class PretrainCheckpointer(keras.callbacks.Callback):
    """During D pre-training: NaN guard, a checkpoint every ``checkpoint_every`` pre-training
    updates and at the end, and one history record ``{"phase": "d_pretrain", …}`` at the end."""

    def __init__(self, run_dir, manager, history: list, checkpoint_every: int):
        super().__init__()
        self.run_dir, self.manager, self.history = run_dir, manager, history
        self.checkpoint_every = max(1, checkpoint_every)
        self.diverged = None
        self.values = {}

    def on_train_batch_end(self, batch, logs=None):
        gan = self.model
        self.values = {k: float(gan.last_values[k].numpy()) for k in ("d_loss", "d_real", "d_fake")}
        updates = gan.pretrain_updates()
        if not all(math.isfinite(v) for v in self.values.values()):
            self.diverged = {"phase": "d_pretrain", "pretrain_updates": updates, **self.values}
            gan.stop_training = True
        elif updates // self.checkpoint_every > (updates - gan.d_steps) // self.checkpoint_every:
            self.manager.save(checkpoint_number=0)

    def on_train_end(self, logs=None):
        if self.diverged is None:
            self.history.append({"step": 0, "optimizer_updates": 0, "phase": "d_pretrain",
                                 "pretrain_updates": self.model.pretrain_updates(),
                                 **{k: round(v, 6) for k, v in self.values.items()}})
            self.run_dir.write_history(self.history)       # before the checkpoint, as GANRunKeeper.save
            self.manager.save(checkpoint_number=0)


class SampleWriter(keras.callbacks.Callback):
    """Every ``sample_every`` micro-batches: EMA-G samples for a fixed conditioning batch to
    TensorBoard — the magnitude channel as an image (time left→right, low frequencies at the
    bottom) and the decoded waveform as ``tf.summary.audio``."""

    def __init__(self, writer, codec, conditions: dict, sample_every: int, seed: int = 0, max_outputs: int = 4):
        super().__init__()
        self.writer, self.codec, self.sample_every = writer, codec, max(1, sample_every)
        self.conditions = {k: v[:max_outputs] for k, v in conditions.items()}
        n = int(next(iter(self.conditions.values())).shape[0])
        self.max_outputs = n
        self.z = None
        self.seed = seed

    def on_train_begin(self, logs=None):
        from foleygan_tf.models import sample_z

        self.z = sample_z(self.max_outputs, self.model.z_dim, self.model.config.gan.truncation, seed=self.seed)

    def on_train_batch_end(self, batch, logs=None):
        gan = self.model
        step = gan.micro_batches_seen()
        if step // self.sample_every > (step - gan.micro_batches_per_step) // self.sample_every:
            self.write(step)

    def write(self, step):
        gan = self.model
        inputs = gan._g_inputs(self.conditions, tf.constant(self.z))
        images = gan.ema_generator(inputs, training=False)
        magnitude = (images[..., :1] + 1.0) / 2.0                              # [B, T, F, 1]
        picture = tf.reverse(tf.transpose(magnitude, [0, 2, 1, 3]), axis=[1])  # frequency up
        waves = self.codec.decode(images)
        peak = tf.maximum(tf.reduce_max(tf.abs(waves), axis=1, keepdims=True), 1e-6)
        with self.writer.as_default(step=step):
            tf.summary.image("samples/spectrogram", picture, max_outputs=self.max_outputs)
            tf.summary.audio("samples/audio", (waves / peak)[..., tf.newaxis], self.codec.sample_rate,
                             max_outputs=self.max_outputs)
        self.writer.flush()


def conditions_from_batch(batch: dict) -> dict:
    """The G conditioning fields of a GAN batch (numpy), for :class:`SampleWriter`."""
    keys = ("class", "class_probs", "action_spectrogram", "action_curve", "image")
    return {k: np.asarray(v) for k, v in batch.items() if k in keys}
