"""``fit_gan``: adversarial training of a run directory with ``model.fit``, resumable.

``steps`` counts micro-batches of real data (the ``step`` of history.json): one ``train_step``
consumes ``d_steps × accumulation_steps`` of them, so ``steps=12`` with ``accumulation_steps=2``
and ``d_steps=2`` runs 3 train steps = 6 discriminator (optimizer) updates + 3 generator updates.
A second call with a larger ``steps`` continues from the latest checkpoint.
"""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

from foleygan_tf.config import Config
from foleygan_tf.training.gan import FoleyGAN
from foleygan_tf.training.gan_callbacks import GANRunKeeper, PretrainCheckpointer, SampleWriter
from foleygan_tf.training.run_dir import RunDir

CHECKPOINTS_KEPT = 3


def make_strategy(name: str) -> tf.distribute.Strategy:
    """``default`` (one device), ``mirrored`` (all local GPUs/devices) or ``multiworker`` (TF_CONFIG)."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"train.distribute must be default, mirrored or multiworker, got {name!r}")


@contextlib.contextmanager
def dtype_policy(name: str):
    """Build models under ``train.mixed_precision`` (e.g. mixed_bfloat16) and restore the global
    policy afterwards (layers keep the policy they were built with)."""
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


def global_batch_size(config: Config) -> int:
    """Examples one ``train_step`` consumes (all replicas): micro-batch × accumulation × D steps."""
    t = config.train
    return t.batch_size * t.accumulation_steps * t.d_steps


def build_gan(config: Config, strategy: tf.distribute.Strategy | None = None) -> FoleyGAN:
    strategy = strategy or make_strategy(config.train.distribute)
    with strategy.scope(), dtype_policy(config.train.mixed_precision):
        gan = FoleyGAN(config)
        gan.compile()
    return gan


def resumable_history(records: list[dict], micro_batches_done: int, pretrain_updates_done: int) -> list[dict]:
    """The history records a run restored at ``micro_batches_done`` (and ``pretrain_updates_done``
    D pre-training updates) keeps: history.json is written *before* each checkpoint, so a kill
    between the two leaves records the checkpoint never reached — adversarial records past
    ``micro_batches_done`` and a D pre-training record past ``pretrain_updates_done``. Those are
    dropped; the resumed run logs them again."""
    def reached(r):
        if r.get("phase") == "d_pretrain":
            return r.get("pretrain_updates", 0) <= pretrain_updates_done
        return r.get("step", 0) <= micro_batches_done

    return [r for r in records if reached(r)]


def fit_gan(config: Config, dataset: tf.data.Dataset, run_dir: str, steps: int, *,
            sample_conditions: dict | None = None, strategy=None, verbose="auto") -> dict:
    """Train (or resume) the run in ``run_dir`` until ``steps`` micro-batches have been seen.

    ``dataset`` yields dicts of ``global_batch_size(config)`` examples (``image``, ``class`` or
    ``class_probs``, ``action_spectrogram``, ``action_curve``) and may repeat forever.
    ``sample_conditions``: a GAN batch whose conditions drive the TensorBoard samples.

    Returns ``{"gan", "history", "resumed", "diverged", "steps_done"}``; ``diverged`` is the NaN/inf
    record that stopped training (the last good checkpoint is kept), else ``None``.
    """
    from foleygan_tf.audio import SpectrogramCodec

    run = RunDir(run_dir)
    resumed = run.prepare(config)
    strategy = strategy or make_strategy(config.train.distribute)
    gan = build_gan(config, strategy)
    checkpoint = gan.checkpoint()
    manager = tf.train.CheckpointManager(checkpoint, run.checkpoint_dir, max_to_keep=CHECKPOINTS_KEPT)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    done = gan.micro_batches_seen()
    history = resumable_history(run.read_history(), done, gan.pretrain_updates())
    remaining = max(0, (int(steps) - done) // gan.micro_batches_per_step)
    result = {"gan": gan, "history": history, "resumed": resumed, "diverged": None, "steps_done": done}
    if remaining == 0:
        return result

    # Batches already consumed (pre-training, then adversarial steps) are skipped: a deterministic
    # pipeline then continues exactly where an interrupted run was (the resume test relies on it).
    consumed = gan.pretrain_updates() // gan.d_steps + done // gan.micro_batches_per_step
    pretrain_left = max(0, config.train.d_pretrain_updates - gan.pretrain_updates()) // gan.d_steps
    if pretrain_left:
        gan.set_phase("d_pretrain")
        saver = PretrainCheckpointer(run, manager, history, config.train.checkpoint_every)
        with strategy.scope():
            gan.fit(dataset.skip(consumed), epochs=1, steps_per_epoch=pretrain_left, callbacks=[saver],
                    verbose=verbose, shuffle=False)  # the dataset shuffles itself
        consumed += pretrain_left
        gan.set_phase("adversarial")
        if saver.diverged:
            result.update(diverged=saver.diverged)
            return result

    writer = tf.summary.create_file_writer(run.tensorboard_dir)
    keeper = GANRunKeeper(run, manager, history, config.train.log_every, config.train.checkpoint_every, writer)
    callbacks = [keeper]
    if sample_conditions is not None:
        callbacks.append(SampleWriter(writer, SpectrogramCodec(config.audio), sample_conditions,
                                      config.train.sample_every, seed=config.seed))
    with strategy.scope():  # MultiWorkerMirroredStrategy needs fit inside the scope
        gan.fit(dataset.skip(consumed), epochs=1, steps_per_epoch=remaining, callbacks=callbacks, verbose=verbose,
                shuffle=False)
    writer.flush()
    result.update(diverged=keeper.diverged, steps_done=gan.micro_batches_seen())
    return result


def train_gan_on_shards(config: Config, shards_dir: str, run_dir: str, trn_run_dir: str | None = None,
                        steps: int | None = None, *, verbose="auto") -> dict:
    """``foleygan train gan``: train (or resume) ``run_dir`` on ``shards_dir``'s train split up to
    ``steps`` micro-batches (default ``train.iterations × train.accumulation_steps``), with the
    guidance of the TRN run ``trn_run_dir`` (needed when ``gan.class_source = "mtrn"`` or
    ``gan.guidance_source = "trn"``; :mod:`foleygan_tf.training.gan_inputs`). TensorBoard samples
    use the conditions of 4 test windows. Returns :func:`fit_gan`'s result."""
    import os

    from foleygan_tf.training.gan_inputs import gan_training_dataset, needs_trn
    from foleygan_tf.training.trn import load_trn

    if not os.path.isdir(shards_dir):
        raise FileNotFoundError(f"{shards_dir}: no such shards folder (run `foleygan prepare`)")
    trn = None
    if needs_trn(config):
        if trn_run_dir is None:
            raise ValueError(f"gan.class_source={config.gan.class_source!r} / gan.guidance_source="
                             f"{config.gan.guidance_source!r} need the trained TRN: pass --trn TRN_RUN_DIR")
        trn = load_trn(trn_run_dir)
        if trn.num_classes != config.num_classes:
            raise ValueError(f"{trn_run_dir}: the TRN knows {trn.num_classes} classes, the GAN config {config.num_classes}")
    if steps is None:
        steps = config.train.iterations * config.train.accumulation_steps
    train_ds = gan_training_dataset(shards_dir, "train", config, trn, global_batch_size(config))
    sample = next(iter(gan_training_dataset(shards_dir, "test", config, trn, 4, training=False)), None)
    return fit_gan(config, train_ds, run_dir, steps, verbose=verbose,
                   sample_conditions=None if sample is None else {k: v.numpy() for k, v in sample.items()})
