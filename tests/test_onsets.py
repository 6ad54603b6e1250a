"""foleygan_tf.audio.onsets: the one onset analysis — the librosa envelope and peak picking of the
metrics, the TensorFlow envelope of the training targets, and onset matching/scoring."""

import glob
import os

import numpy as np
import pytest

from foleygan_tf.audio.onsets import (ONSET_HOP_S, SILENCE_RMS, analyse_onsets, detect_onsets, match_onsets,
                                      onset_envelope, onset_frames, onset_scores, pooled_onsets)

EVENT_CLASSES = ("break", "chopping", "clock", "footstep", "gunshot", "horse", "thunder", "typing")


def _recordings(soundbank_dir, per_class=2):
    files = []
    for c in EVENT_CLASSES:
        files += sorted(glob.glob(os.path.join(soundbank_dir, c, "*.*")))[:per_class]
    return files


@pytest.mark.parametrize("sr", [689, 2756])
def test_the_two_envelopes_agree_on_real_recordings(sr, soundbank_dir, tf):
    """Same frame grid (count and times); the TensorFlow envelope, moved by librosa's
    ``center`` compensation (``shift`` frames), follows librosa's closely on real impulsive
    recordings — and without that move it does not (the convention is real, not a tolerance)."""
    from foleygan_tf.audio import load_audio
    from foleygan_tf.audio.onsets import onset_envelope_tf

    _, hop, shift = onset_frames(sr)
    assert shift == 2 and hop == round(sr * ONSET_HOP_S)
    aligned, unaligned = [], []
    for path in _recordings(soundbank_dir):
        wave = load_audio(path, sr)[: 3 * sr]
        ref, rate = onset_envelope(wave, sr)
        env, times = onset_envelope_tf(wave, sr)
        env, times = env.numpy(), times.numpy()
        assert env.shape == ref.shape == (1 + len(wave) // hop,), path
        np.testing.assert_allclose(times * rate, np.arange(len(ref)), atol=1e-3)
        assert env.max() == pytest.approx(1.0) and ref.max() == pytest.approx(1.0)
        moved = np.concatenate([np.zeros(shift), env[:-shift]])
        aligned.append(np.corrcoef(ref, moved)[0, 1])
        unaligned.append(np.corrcoef(ref, env)[0, 1])
    assert len(aligned) == 2 * len(EVENT_CLASSES)
    assert np.mean(aligned) > 0.8 and np.min(aligned) > 0.5, aligned
    assert np.mean(unaligned) < 0.5 < np.mean(aligned)


def test_tf_envelope_batches_and_silence(tf):
    from foleygan_tf.audio.onsets import onset_envelope_tf

    sr = 689
    rng = np.random.default_rng(1)
    waves = rng.standard_normal((3, 3 * sr)).astype(np.float32) * np.linspace(0, 1, 3 * sr, dtype=np.float32)
    waves[2] = 0.0
    batch, _ = onset_envelope_tf(waves, sr)
    single = np.stack([onset_envelope_tf(w, sr)[0].numpy() for w in waves])
    np.testing.assert_allclose(batch.numpy(), single, atol=1e-6)
    assert np.all(single[2] == 0) and single[0].max() == pytest.approx(1.0)


def test_onset_detection_finds_clicks():
    sr = 22050
    times = [0.31, 0.87, 1.42, 2.05, 2.61]
    wave = np.random.default_rng(3).standard_normal(3 * sr).astype(np.float32) * 1e-3
    for t in times:
        i = int(t * sr)
        wave[i:i + 800] += np.exp(-np.arange(800) / 120.0) * np.sin(np.arange(800) * 0.6)
    scores = onset_scores(times, detect_onsets(wave, sr))
    assert scores["f1"] == 1.0 and scores["mean_abs_offset_ms"] < 25


def test_onsets_at_the_tiny_sample_rate():
    """librosa's default 2048-sample window would span a whole 3 s clip at 689 Hz; the envelope
    scales its window with the rate."""
    sr = 689
    times = [0.3, 0.95, 1.6, 2.4]
    t = np.arange(3 * sr) / sr
    wave = 0.002 * np.random.default_rng(9).standard_normal(len(t))
    for e in times:
        m = t >= e
        wave[m] += np.exp(-(t[m] - e) / 0.04) * np.sin(2 * np.pi * 70 * (t[m] - e))
    env, rate = onset_envelope(wave, sr)
    assert rate == pytest.approx(sr / 7) and env.max() == 1.0
    s = onset_scores(times, detect_onsets(wave, sr))
    assert s["f1"] == 1.0 and s["mean_abs_offset_ms"] < 30
    # the analysis keeps the envelope and ranks the onsets by it
    onsets = analyse_onsets(wave, sr)
    np.testing.assert_allclose(onsets.times, detect_onsets(wave, sr))
    np.testing.assert_allclose(onsets.strength, onsets.envelope[onsets.frames])
    # the same clicks below the silence level: no onsets (the normalised envelope would still peak)
    quiet = wave * (0.5 * SILENCE_RMS / np.sqrt(np.mean(wave ** 2)))
    assert onset_envelope(quiet, sr)[0].max() == 1.0 and len(detect_onsets(quiet, sr)) == 0


def test_onset_scores_matching_rules():
    assert match_onsets([1.0, 2.0], [1.05, 1.06, 2.5]) == [(1.0, 1.05)]
    s = onset_scores([1.0, 2.0], [1.05, 1.06, 2.5])
    assert s["precision"] == pytest.approx(1 / 3) and s["recall"] == 0.5 and s["num_matched"] == 1
    assert s["mean_abs_offset_ms"] == pytest.approx(50.0) and s["offsets_ms"] == pytest.approx([50.0])
    assert onset_scores([], [])["f1"] == 1.0 and onset_scores([1.0], [])["f1"] == 0.0
    ap = onset_scores([1.0, 2.0], [2.0, 5.0, 1.0], estimated_strength=[0.9, 0.8, 0.1])["average_precision"]
    assert ap == pytest.approx((1 / 1 + 2 / 3) / 2)


def test_pooled_onsets_sum_the_counts():
    """Pooling weighs clips by their onsets: one clip with 1 of 1 matched and one with 1 of 9 →
    pooled recall 2/10, while the mean of the clips' recalls would be (1 + 1/9) / 2."""
    a = onset_scores([1.0], [1.0])
    b = onset_scores(np.arange(9) * 0.3, [0.0])
    p = pooled_onsets([a, b])
    assert (p["num_reference"], p["num_estimated"], p["num_matched"]) == (10, 2, 2)
    assert p["recall"] == pytest.approx(0.2) and p["precision"] == 1.0
    assert p["f1"] == pytest.approx(2 * 0.2 / 1.2)
    assert pooled_onsets([])["f1"] == 1.0      # nothing to find and nothing found
