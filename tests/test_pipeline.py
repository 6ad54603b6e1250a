"""tf.data pipelines from prepared shards: TRN batches, GAN batches (real spectrogram + hooks)."""

import numpy as np
import pytest

from foleygan_tf.data.prepare import prepare_dataset
from foleygan_tf.data.synth import synthesize_dataset


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    from foleygan_tf.config import get_preset

    cfg = get_preset("tiny")
    root = tmp_path_factory.mktemp("pipe")
    synthesize_dataset(str(root / "src"), 2, seconds=3.0, fps=24, size=32, seed=9, workers=2, progress=False)
    m = prepare_dataset(str(root / "src"), str(root / "shards"), cfg, shard_size=5, progress=False)
    return str(root / "shards"), m, str(root / "src")


def test_trn_dataset(shards, tiny_cfg, tf):
    from foleygan_tf.data import trn_dataset

    out, m, _ = shards
    ds = trn_dataset(out, "train", tiny_cfg, training=True, batch_size=4)
    frames, labels = next(iter(ds))
    assert frames.shape == (4, tiny_cfg.video.frames_per_clip, 32, 32, 3) and frames.dtype == tf.uint8
    assert ds.element_spec[0].shape[0] == 4          # drop_remainder → static batch for tf.distribute
    assert labels.dtype == tf.int32 and np.all((labels.numpy() >= 0) & (labels.numpy() < 12))
    assert float(tf.math.reduce_std(tf.cast(frames, tf.float32))) > 5.0
    # evaluation: deterministic, every window exactly once
    ev = trn_dataset(out, "test", tiny_cfg, training=False, batch_size=3)
    labels_a = np.concatenate([y.numpy() for _, y in ev])
    labels_b = np.concatenate([y.numpy() for _, y in ev])
    assert len(labels_a) == m["splits"]["test"]["examples"] and np.array_equal(labels_a, labels_b)
    counts = {tiny_cfg.class_names[i]: int(n) for i, n in zip(*np.unique(labels_a, return_counts=True))}
    assert counts == m["splits"]["test"]["class_counts"]


def test_gan_dataset_with_hooks(shards, tiny_cfg, tf):
    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.data import gan_dataset

    out, _, _ = shards
    r = tiny_cfg.audio.image_size

    def add_action(e):   # what the TRN block plugs in: per-window action spectrogram and curve
        e = dict(e)
        curve = tf.cast(tf.reduce_mean(tf.cast(e["frames"], tf.float32), axis=[1, 2, 3]), tf.float32)
        e["action_curve"] = tf.reshape(tf.image.resize(tf.reshape(curve, [1, -1, 1, 1]), [r, 1]), [r])
        e["action_spectrogram"] = tf.zeros([r, r, 3])
        return e

    def drop_frames(b):
        return {k: v for k, v in b.items() if k != "frames"}

    ds = gan_dataset(out, "train", tiny_cfg, batch_size=4, map_fn=add_action, batch_map_fn=drop_frames)
    b = next(iter(ds))
    assert set(b) == {"spectrogram", "label", "wave", "events", "fps", "num_frames", "action_curve",
                      "action_spectrogram"}
    assert b["fps"].shape == (4,) and b["num_frames"].dtype == tf.int32
    assert b["spectrogram"].shape == (4, r, r, 3) and b["spectrogram"].dtype == tf.float32
    assert b["action_spectrogram"].shape == (4, r, r, 3) and b["action_curve"].shape == (4, r)
    spec = b["spectrogram"].numpy()
    assert spec.min() >= -1.0 - 1e-5 and spec.max() <= 1.0 + 1e-5 and spec[..., 0].std() > 0.05
    want = SpectrogramCodec(tiny_cfg.audio).encode(b["wave"]).numpy()
    np.testing.assert_allclose(spec, want, atol=1e-5)


def test_cache_and_stored_spectrogram_raw_frames(shards, tmp_path, tiny_cfg, tf):
    from foleygan_tf.data import example_dataset, gan_dataset

    _, _, src = shards
    out = str(tmp_path / "raw")
    m = prepare_dataset(src, out, tiny_cfg, shard_size=50, frame_format="raw", spectrogram=True, progress=False)
    assert m["spectrogram"]["stored"] and m["frame_format"] == "raw"
    a = [e["clip_id"].numpy() for e in example_dataset(out, "test", cache=True)]
    assert len(a) == m["splits"]["test"]["examples"]
    b = next(iter(gan_dataset(out, "test", tiny_cfg, training=False, batch_size=2, cache=True)))
    from foleygan_tf.audio import SpectrogramCodec

    np.testing.assert_allclose(b["spectrogram"].numpy(), SpectrogramCodec(tiny_cfg.audio).encode(b["wave"]).numpy(),
                               atol=2e-3)    # stored as float16
    assert b["frames"].shape == (2, tiny_cfg.video.frames_per_clip, 32, 32, 3)


def test_config_mismatch_is_reported(shards, tf):
    from foleygan_tf.config import get_preset
    from foleygan_tf.data import trn_dataset

    out, _, _ = shards
    with pytest.raises(ValueError, match="re-run `foleygan prepare`"):
        trn_dataset(out, "train", get_preset("small"))
