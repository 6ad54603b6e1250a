"""Sanity checks of the paper's metrics and the sync scores (reference/metrics.md)."""

import numpy as np
import pytest

from foleygan_tf.evaluation import (av_offset, detect_onsets, frechet_distance, inception_score,
                                    match_onsets, ndb, onset_scores, retrieval_accuracy)


def test_inception_score_bounds():
    same = np.tile([[0.7, 0.2, 0.1]], (30, 1))
    assert inception_score(same)[0] == pytest.approx(1.0)
    confident = np.eye(12)[np.arange(120) % 12]
    assert inception_score(confident)[0] == pytest.approx(12.0, rel=1e-6)
    mean, std = inception_score(confident, splits=10)
    assert mean == pytest.approx(12.0, rel=1e-6) and std == pytest.approx(0.0, abs=1e-9)
    rng = np.random.default_rng(0)
    soft = rng.dirichlet(np.ones(12), size=200)
    whole, split = inception_score(soft)[0], inception_score(soft, splits=10)[0]
    assert 1.0 < split < whole < 12.0  # the split variant is lower, as the reference notes


def test_inception_score_rejects_logits():
    with pytest.raises(ValueError, match="softmax"):
        inception_score(np.array([[2.0, -1.0]]))


def test_frechet_distance_references():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((20000, 4))
    mu = np.array([1.0, -2.0, 0.5, 0.0])
    b = rng.standard_normal((20000, 4)) + mu
    assert frechet_distance(a, b) == pytest.approx(float(mu @ mu), rel=0.02)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # Singular covariances (fewer samples than dims) are handled, result finite and ≥ 0.
    small = rng.standard_normal((5, 16))
    assert np.isfinite(frechet_distance(small, small + 0.1)) and frechet_distance(small, small + 0.1) >= -1e-6
    with pytest.raises(ValueError, match="equal dim"):
        frechet_distance(a, b[:, :3])


def test_ndb_same_vs_shifted_distribution():
    rng = np.random.default_rng(2)
    centres = rng.standard_normal((10, 8)) * 4
    train = centres[rng.integers(0, 10, 2000)] + rng.standard_normal((2000, 8))
    same = centres[rng.integers(0, 10, 1000)] + rng.standard_normal((1000, 8))
    skewed = centres[rng.choice(10, 1000, p=[0.5] + [0.5 / 9] * 9)] + rng.standard_normal((1000, 8))
    r_same = ndb(train, same, k=20, seed=0)
    r_skew = ndb(train, skewed, k=20, seed=0)
    assert r_same["ndb"] <= 4  # ≈ α·K false positives
    assert r_skew["ndb"] > r_same["ndb"] + 4
    assert r_skew["ndb_over_k"] == r_skew["ndb"] / 20 and len(r_skew["different"]) == 20
    assert ndb(train, skewed, k=20, seed=0)["ndb"] == r_skew["ndb"]  # fixed seed → reproducible
    with pytest.raises(ValueError, match="at least 50"):
        ndb(train[:10], same, k=50)


def test_retrieval_accuracy():
    probs = np.eye(3)[[0, 1, 2, 2]]
    r = retrieval_accuracy(probs, [0, 1, 2, 1])
    assert r["accuracy"] == 0.75 and r["average_accuracy"] == pytest.approx((1 + 0.5 + 1) / 3)


def test_onset_detection_finds_clicks():
    sr = 22050
    times = [0.31, 0.87, 1.42, 2.05, 2.61]
    wave = np.random.default_rng(3).standard_normal(3 * sr).astype(np.float32) * 1e-3
    for t in times:
        i = int(t * sr)
        wave[i:i + 800] += np.exp(-np.arange(800) / 120.0) * np.sin(np.arange(800) * 0.6)
    scores = onset_scores(times, detect_onsets(wave, sr))
    assert scores["f1"] == 1.0 and scores["mean_abs_offset_ms"] < 25


def test_onset_scores_matching_rules():
    assert match_onsets([1.0, 2.0], [1.05, 1.06, 2.5]) == [(1.0, 1.05)]
    s = onset_scores([1.0, 2.0], [1.05, 1.06, 2.5])
    assert s["precision"] == pytest.approx(1 / 3) and s["recall"] == 0.5 and s["num_matched"] == 1
    assert s["mean_abs_offset_ms"] == pytest.approx(50.0)
    assert onset_scores([], [])["f1"] == 1.0 and onset_scores([1.0], [])["f1"] == 0.0
    ap = onset_scores([1.0, 2.0], [2.0, 5.0, 1.0], estimated_strength=[0.9, 0.8, 0.1])["average_precision"]
    assert ap == pytest.approx((1 / 1 + 2 / 3) / 2)


def test_av_offset_recovers_a_shift():
    rate = 100.0
    curve = np.zeros(300)
    curve[[40, 120, 210]] = 1.0
    envelope = np.roll(curve, 7)  # audio 70 ms late
    assert av_offset(envelope, curve, rate) == pytest.approx(0.07)


def test_spectral_flatness_separates_noise_from_structure():
    from foleygan_tf.evaluation.audio_checks import describe_audio, spectral_flatness

    rng = np.random.default_rng(4)
    noise = rng.standard_normal(4000)
    t = np.arange(4000) / 689.0
    tone = np.sin(2 * np.pi * 80 * t) * np.exp(-((t % 0.5) / 0.05))
    assert spectral_flatness(noise) > 0.4 > 0.1 > spectral_flatness(tone)
    assert describe_audio(np.zeros(4000))["silent"] and not describe_audio(tone)["silent"]
