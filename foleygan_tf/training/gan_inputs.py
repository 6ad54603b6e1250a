"""GAN training batches: real spectrogram, class condition and visual guidance per window
(Algorithm 1 lines 1–5).

:func:`gan_training_dataset` = ``data.pipeline.gan_dataset`` (the real spectrogram image through
the codec inside tf.data) + :func:`guidance_mapper`, which adds per batch:

* the class condition (``gan.class_source``): the MTRN's class probabilities ``class_probs``
  (``"mtrn"``, Algorithm 1 line 7: G(z, Prob_class, Prob_seq)) — G and D then get them as their
  class input — or only the true label (``"label"``);
* P_act (``gan.guidance_source``): the trained 2TRN's action curve of the conditioning class
  (``"trn"``: the MTRN's predicted class with ``class_source="mtrn"``, else the true class), or
  the 2TRN's self-supervised target of the window's real audio (``"audio_onsets"``: onsets of the
  audio on the TRN's output scale, ``1/C + (1 − 1/C)·w`` — what a perfect audio-onset 2TRN would
  output; the TRN is then only needed for ``class_source="mtrn"``);
* S_act and the R-step action curve from P_act (``models.action_spectrogram``).

Fields of a batch (what :class:`foleygan_tf.training.gan.FoleyGAN` reads): ``image`` [B, R, R, 3],
``class`` int32 [B], ``class_probs`` [B, C] (with ``"mtrn"``), ``action_spectrogram`` [B, R, R, 3],
``action_curve`` [B, R].
"""

from __future__ import annotations

__all__ = ["guidance_mapper", "gan_training_dataset", "needs_trn"]


def needs_trn(config) -> bool:
    """Whether GAN training calls the TRN (for the class probabilities or P_act)."""
    return config.gan.class_source == "mtrn" or config.gan.guidance_source == "trn"


def guidance_mapper(trn, config):
    """A ``batch_map_fn`` for ``data.pipeline.gan_dataset`` (see the module docstring); ``trn``
    is a trained ``ActionRecognizer`` (``None`` is fine when :func:`needs_trn` is false)."""
    import tensorflow as tf

    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.audio.onsets import onset_weights_to_pact, pair_onset_weights
    from foleygan_tf.models.action_spectrogram import action_spectrogram

    if needs_trn(config) and trn is None:
        raise ValueError("GAN training with gan.class_source=mtrn or gan.guidance_source=trn needs a trained TRN")
    codec = SpectrogramCodec(config.audio)
    from_mtrn = config.gan.class_source == "mtrn"
    from_audio = config.gan.guidance_source == "audio_onsets"

    def add_guidance(batch):
        out = {"image": batch["spectrogram"], "class": batch["label"]}
        if needs_trn(config):
            # P_act follows the class G is conditioned on: the prediction with "mtrn", else the label
            actions = trn.predict_actions({"frames": batch["frames"], "num_frames": batch["num_frames"]},
                                          class_index=None if from_mtrn else batch["label"])
            if from_mtrn:
                out["class_probs"] = tf.cast(actions["class_probs"], tf.float32)
        if from_audio:
            num_pairs = tf.maximum(batch["num_frames"], 2) - 1
            w = pair_onset_weights(batch["wave"], batch["fps"], tf.shape(batch["frames"])[1] - 1,
                                   config.audio.sample_rate)
            valid = tf.range(tf.shape(w)[1])[None, :] < num_pairs[:, None]
            p_act = tf.where(valid, onset_weights_to_pact(w, config.num_classes), 0.0)
        else:
            p_act, num_pairs = actions["p_act"], actions["num_pairs"]
        out["action_spectrogram"], out["action_curve"] = action_spectrogram(
            p_act, batch["fps"], config.audio, lengths=num_pairs, codec=codec, with_steps=True)
        return out

    return add_guidance


def gan_training_dataset(shards_dir, split, config, trn, batch_size, training=True):
    """Batches of ``batch_size`` windows of ``split`` for :class:`FoleyGAN` (full batches only)."""
    from foleygan_tf.data import gan_dataset

    return gan_dataset(shards_dir, split, config, training=training, batch_size=batch_size, seed=config.seed,
                       include_wave=config.gan.guidance_source == "audio_onsets",
                       batch_map_fn=guidance_mapper(trn, config), drop_remainder=True)
