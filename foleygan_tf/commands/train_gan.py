"""``foleygan train gan SHARDS_DIR RUN_DIR --preset P --trn TRN_RUN_DIR [--steps N]``.

Adversarial training on prepared shards: real spectrogram (SpectrogramCodec inside tf.data),
class label, and the visual guidance of the trained TRN block — P_act of the clip's class from the
2-frame TRN, S_act through the same codec. Resumes when RUN_DIR has a checkpoint; ``--steps``
counts micro-batches (default: ``train.iterations`` optimizer updates × accumulation_steps).
"""

from __future__ import annotations

import os


def guidance_mapper(trn, config):
    """A ``batch_map_fn`` for :func:`foleygan_tf.data.gan_dataset`: adds S_act and P_act from the
    TRN block and renames the fields to what :class:`FoleyGAN` reads.

    In training P_act follows the clip's *true* class (the pair probability of the label), so the
    guidance does not inherit MTRN mistakes; G's class input is the label. At inference both come
    from the MTRN prediction (docs/training.md).

    ``gan.guidance_source = "audio_onsets"``: P_act is instead the 2TRN's self-supervised target
    (:func:`foleygan_tf.data.pipeline.pair_onset_weights` of the window's real audio) on the TRN's
    output scale ``1/C + (1 − 1/C)·w`` — what a perfect 2TRN trained with
    ``trn.pair_target=audio_onsets`` would output; ``trn`` is then not called."""
    import tensorflow as tf

    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.data.pipeline import onset_weights_to_pact, pair_onset_weights
    from foleygan_tf.models.action_spectrogram import action_spectrogram

    codec = SpectrogramCodec(config.audio)
    from_audio = config.gan.guidance_source == "audio_onsets"

    def add_guidance(batch):
        if from_audio:
            num_pairs = tf.maximum(batch["num_frames"], 2) - 1
            w = pair_onset_weights(batch["wave"], batch["fps"], tf.shape(batch["frames"])[1] - 1,
                                   config.audio.sample_rate)
            valid = tf.range(tf.shape(w)[1])[None, :] < num_pairs[:, None]
            p_act = tf.where(valid, onset_weights_to_pact(w, config.num_classes), 0.0)
        else:
            out = trn.predict_actions({"frames": batch["frames"], "num_frames": batch["num_frames"]},
                                      class_index=batch["label"])
            p_act, num_pairs = out["p_act"], out["num_pairs"]
        s_act, steps = action_spectrogram(p_act, batch["fps"], config.audio, lengths=num_pairs,
                                          codec=codec, with_steps=True)
        out = {"image": batch["spectrogram"], "class": batch["label"],
               "action_spectrogram": s_act, "action_curve": steps}
        if config.gan.waveform_stft_loss > 0:  # the real audio is the loss's target
            out["wave"] = batch["wave"]
        return out

    return add_guidance


def needs_wave(config) -> bool:
    """Whether GAN batches must carry the real audio (audio-onset guidance, waveform STFT loss)."""
    return config.gan.guidance_source == "audio_onsets" or config.gan.waveform_stft_loss > 0


def gan_training_dataset(shards_dir, split, config, trn, batch_size, training=True):
    from foleygan_tf.data import gan_dataset

    return gan_dataset(shards_dir, split, config, training=training, batch_size=batch_size, seed=config.seed,
                       include_wave=needs_wave(config),
                       batch_map_fn=guidance_mapper(trn, config),
                       drop_remainder=True)


def run(args):
    from foleygan_tf.cli import UserError, config_from_args

    config = config_from_args(args)
    for path, what in ((args.shards_dir, "SHARDS_DIR"), (args.trn, "--trn TRN_RUN_DIR")):
        if not os.path.isdir(path):
            raise UserError(f"{path}: {what} is not a directory")
    from foleygan_tf.training.fit_gan import fit_gan, global_batch_size
    from foleygan_tf.training.trn import load_trn

    trn = load_trn(args.trn)
    if trn.num_classes != config.num_classes:
        raise UserError(f"{args.trn}: the TRN knows {trn.num_classes} classes, the GAN config {config.num_classes}")
    steps = args.steps if args.steps is not None else config.train.iterations * config.train.accumulation_steps
    train_ds = gan_training_dataset(args.shards_dir, "train", config, trn, global_batch_size(config))
    sample = next(iter(gan_training_dataset(args.shards_dir, "test", config, trn, 4, training=False)))
    result = fit_gan(config, train_ds, args.run_dir, steps,
                     sample_conditions={k: v.numpy() for k, v in sample.items()})
    gan = result["gan"]
    last = next((r for r in reversed(result["history"]) if "g_loss" in r), None)
    if result["diverged"] is not None:
        print(f"foleygan: training stopped on a non-finite loss at step {result['diverged']['step']}; "
              f"the last good checkpoint is kept in {args.run_dir}")
        return 3
    summary = f"step {gan.micro_batches_seen()} ({gan.optimizer_updates()} optimizer updates)"
    if last:
        summary += f": d_loss {last['d_loss']:.4f}, g_loss {last['g_loss']:.4f}"
    print(f"{'resumed' if result['resumed'] else 'trained'} {args.run_dir} to {summary}")
    return 0
