"""``python -m tests.helpers.distributed_script MODE RUN_DIR [TASK_INDEX]``: a few tiny-preset
training steps under a real ``tf.distribute`` strategy, printing ``RESULT {json}``.

* ``mirrored``: MirroredStrategy over 2 logical CPU devices of this process;
* ``multiworker``: MultiWorkerMirroredStrategy; TF_CONFIG (set by the caller) names two workers on
  127.0.0.1 and this process's task index.
Logical devices must be configured before TensorFlow initialises, hence a separate process.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(mode, run_dir):
    import tensorflow as tf

    # A run of 2 train steps: skip grappler's rewrite of the traced steps (≈ 40 % of a first step,
    # docs/training.md). It only makes the graph faster; what the tests check (replicas, update
    # counts, finite losses) comes from the same ops either way.
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    else:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    import keras

    from foleygan_tf.config import apply_overrides, get_preset
    from foleygan_tf.training.fit_gan import fit_gan
    from tests.helpers.gan_data import gan_dataset

    cfg = apply_overrides(get_preset("tiny"), ["train.log_every=1", "train.d_pretrain_updates=2"])
    keras.utils.set_random_seed(cfg.seed)
    result = fit_gan(cfg, gan_dataset(cfg), run_dir, 8, strategy=strategy, verbose=0)
    gan = result["gan"]
    print("RESULT " + json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "optimizer_updates": gan.optimizer_updates(),
        "history": result["history"],
        "diverged": result["diverged"],
    }), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
