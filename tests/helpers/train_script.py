"""``python -m tests.helpers.train_script RUN_DIR STEPS [FIELD=VALUE …]``: deterministic tiny-preset
``fit_gan`` on in-memory data (op determinism on), a checkpoint after every optimizer update.
Used by the kill/resume test, which compares an interrupted run with an uninterrupted one."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv):
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    # A run of a few train steps: skip grappler's rewrite of the traced steps (≈ 40 % of a first
    # step, docs/training.md). The resume test compares runs that are all made this way.
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    from foleygan_tf.config import apply_overrides, get_preset
    from foleygan_tf.training.fit_gan import fit_gan
    from tests.helpers.gan_data import gan_dataset

    run_dir, steps, *overrides = argv
    cfg = apply_overrides(get_preset("tiny"), ["train.checkpoint_every=1", "train.log_every=1"] + overrides)
    keras.utils.set_random_seed(cfg.seed)
    result = fit_gan(cfg, gan_dataset(cfg), run_dir, int(steps), verbose=0)
    print("DONE", result["steps_done"], flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
