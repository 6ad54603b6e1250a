"""trn.pair_target = "audio_onsets": self-supervised 2TRN pair targets from the real audio."""

import numpy as np
import pytest

from foleygan_tf.config import Config, apply_overrides, get_preset


def _clicks(times, sr=689, seconds=3.0, seed=0):
    rng = np.random.default_rng(seed)
    wave = 1e-3 * rng.standard_normal(int(sr * seconds)).astype(np.float32)
    for t in times:
        k = int(t * sr)
        wave[k:k + 50] += rng.standard_normal(50).astype(np.float32) * np.exp(-np.arange(50) / 12.0)
    return wave


def test_pair_onset_weights_peak_on_the_onset_pairs(tf):
    from foleygan_tf.audio.onsets import pair_onset_weights

    fps = 8.0
    # onsets at pair midpoints τ_t = (t + 0.5) / fps for t = 4 and 15
    w = pair_onset_weights(_clicks([4.5 / fps, 15.5 / fps]), fps, 23, 689).numpy()
    assert w.shape == (23,) and np.all((w >= 0) & (w <= 1))
    assert set(np.argsort(-w)[:2]) == {4, 15} and w[4] > 0.5 and w[15] > 0.5
    others = np.delete(w, [3, 4, 5, 14, 15, 16])
    assert others.max() < 0.2
    assert np.all(pair_onset_weights(np.zeros(2067, np.float32), fps, 23, 689).numpy() == 0)


def test_soft_pair_target_loss(tf):
    from foleygan_tf.models import build_action_recognizer

    model = build_action_recognizer(apply_overrides(get_preset("tiny"), ["trn.pair_target=audio_onsets"]))
    logits = np.zeros((1, 3, 12), np.float32)
    logits[0, 0, 5] = 20.0                                       # pair 0: confident class 5
    out = {"pair_logits": tf.constant(logits)}
    labels = tf.constant([5])
    hard = model._pair_loss(labels, out, tf.constant([[1.0, 1.0, 1.0]]))
    plain = model._pair_loss(labels, out)                        # w ≡ 1 is the clip-class target
    assert float(hard) == pytest.approx(float(plain), rel=1e-5)
    # w = 0 → uniform target: uniform logits (pairs 1, 2) reach the minimum log C, pair 0 is penalised
    soft = model._pair_loss(labels, out, tf.constant([[0.0, 0.0, 0.0]]))
    assert float(soft) > float(hard)


def test_pair_target_dataset_and_train_step(tf, tmp_path):
    from foleygan_tf.data.pipeline import trn_dataset
    from foleygan_tf.data.prepare import prepare_dataset
    from foleygan_tf.data.synth import synthesize_dataset
    from foleygan_tf.models import build_action_recognizer

    cfg = apply_overrides(get_preset("tiny"), ["trn.pair_target=audio_onsets"])
    synthesize_dataset(str(tmp_path / "src"), 3, seconds=3.0, fps=24, size=32, seed=3, workers=1,
                       progress=False, classes=["footstep", "rain"])
    prepare_dataset(str(tmp_path / "src"), str(tmp_path / "shards"), cfg, shard_size=8, progress=False)
    ds = trn_dataset(str(tmp_path / "shards"), "train", cfg, training=True, batch_size=2)
    frames, labels, weights = next(iter(ds))
    assert weights.shape == (2, cfg.video.frames_per_clip - 1)
    assert np.all((weights.numpy() >= 0) & (weights.numpy() <= 1))
    model = build_action_recognizer(cfg)
    model.set_stage("pair")
    model.compile(optimizer="adam")
    logs = model.train_step((frames, labels, weights))
    assert np.isfinite(float(logs["loss"])) and 0.0 <= float(logs["pair_accuracy"]) <= 1.0


def test_pair_target_config():
    cfg = get_preset("tiny")
    assert cfg.trn.pair_target == "clip_class"
    with pytest.raises(ValueError, match="pair_target"):
        apply_overrides(get_preset("tiny"), ["trn.pair_target=events"])
    # a schema-1 config.json written before the fields existed still loads (defaults)
    d = cfg.to_dict()
    del d["schema_version"], d["trn"]["pair_target"], d["gan"]["envelope_loss"], d["gan"]["spectrum_loss"]
    old = Config.from_dict(d)
    assert old.trn.pair_target == "clip_class" and old.gan.envelope_loss == 0.0


def test_pair_onset_weights_batched_equals_single(tf):
    from foleygan_tf.audio.onsets import pair_onset_weights

    waves = np.stack([_clicks([0.6, 2.1], seed=1), _clicks([1.3], seed=2), np.zeros(2067, np.float32)])
    fps = np.array([8.0, 24.0, 8.0], np.float32)
    batch = pair_onset_weights(waves, fps, 23, 689).numpy()
    single = np.stack([pair_onset_weights(w, float(f), 23, 689).numpy() for w, f in zip(waves, fps)])
    assert batch.shape == (3, 23)
    np.testing.assert_allclose(batch, single, atol=1e-6)
    assert batch[0].max() > 0.5 and np.all(batch[2] == 0)


def _gan_batch(tf, fps, wave):
    return {"frames": tf.constant(np.zeros((1, 24, 32, 32, 3), np.uint8)), "num_frames": tf.constant([24]),
            "fps": tf.constant([fps]), "label": tf.constant([5]), "wave": tf.constant(wave[None]),
            "spectrogram": tf.zeros([1, 64, 64, 3])}


def test_gan_guidance_from_audio_onsets(tf):
    """gan.guidance_source=audio_onsets (with the true label): S_act / the action curve come from
    the window's real audio on the TRN's output scale (1/C off the onsets), and no TRN is needed."""
    from foleygan_tf.training.gan_inputs import guidance_mapper, needs_trn

    cfg = apply_overrides(get_preset("tiny"), ["gan.guidance_source=audio_onsets", "gan.class_source=label"])
    assert not needs_trn(cfg)
    fps = 8.0
    out = guidance_mapper(None, cfg)(_gan_batch(tf, fps, _clicks([4.5 / fps, 15.5 / fps])))   # onsets on pairs 4, 15
    assert set(out) == {"image", "class", "action_spectrogram", "action_curve"}
    curve = out["action_curve"].numpy()[0]                     # [R] image columns
    assert out["action_spectrogram"].shape == (1, 64, 64, 3)
    # column j is centred at (j·32 + 64) / 689 s: the curve peaks near the two onsets
    centres = (np.arange(64) * 32 + 64) / 689.0
    peaks = [centres[j] for j in range(1, 60) if curve[j] >= curve[j - 1] and curve[j] > curve[j + 1] and curve[j] > 0.5]
    assert len(peaks) == 2 and abs(peaks[0] - 4.5 / fps) < 0.07 and abs(peaks[1] - 15.5 / fps) < 0.07
    quiet = curve[(np.abs(centres - 4.5 / fps) > 0.3) & (np.abs(centres - 15.5 / fps) > 0.3) & (centres < 2.9)]
    assert quiet.max() < 0.2 and quiet.min() > 1.0 / 12 - 0.01     # the chance level 1/C, not 0
    with pytest.raises(ValueError, match="guidance_source"):
        apply_overrides(get_preset("tiny"), ["gan.guidance_source=labels"])


def test_gan_class_from_the_mtrn(tf):
    """gan.class_source=mtrn (Algorithm 1 line 7): the batch carries the MTRN's class probabilities
    (G's and D's class input), P_act follows the predicted class; =label keeps the true class only."""
    from foleygan_tf.models import build_action_recognizer
    from foleygan_tf.training.gan_inputs import guidance_mapper, needs_trn

    cfg = get_preset("tiny")
    assert cfg.gan.class_source == "mtrn" and needs_trn(cfg)
    trn = build_action_recognizer(cfg, deterministic=True)
    batch = _gan_batch(tf, 8.0, _clicks([1.0]))
    out = guidance_mapper(trn, cfg)(batch)
    want = trn.predict_actions({"frames": batch["frames"], "num_frames": batch["num_frames"]})
    np.testing.assert_allclose(out["class_probs"].numpy(), want["class_probs"].numpy(), rtol=1e-6)
    assert out["class"].numpy().tolist() == [5]
    label = guidance_mapper(trn, apply_overrides(get_preset("tiny"), ["gan.class_source=label"]))(batch)
    assert "class_probs" not in label
    with pytest.raises(ValueError, match="needs a trained TRN"):
        guidance_mapper(None, cfg)
