"""Sanity checks of the paper's metrics and the AV offset (reference/metrics.md); onsets: tests/test_onsets.py."""

import numpy as np
import pytest

from foleygan_tf.evaluation import av_offset, frechet_distance, inception_score, ndb, retrieval_accuracy


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


# ---- known answers -------------------------------------------------------------------------------

def test_inception_score_known_answers_both_variants():
    k = 7
    identical = np.tile(np.random.default_rng(5).dirichlet(np.ones(k)), (70, 1))
    for splits in (1, 10):
        assert inception_score(identical, splits=splits)[0] == pytest.approx(1.0)
    confident = np.eye(k)[np.arange(70) % k]                      # each split holds every class once
    assert inception_score(confident, splits=10) == (pytest.approx(float(k)), pytest.approx(0.0, abs=1e-9))
    # half the mass on the true class: IS = exp(H(p(y)) − E H(p(y|x))) computed by hand
    soft = 0.5 * confident + 0.5 / k
    h_cond = -(0.5 + 0.5 / k) * np.log(0.5 + 0.5 / k) - (k - 1) * (0.5 / k) * np.log(0.5 / k)
    assert inception_score(soft)[0] == pytest.approx(np.exp(np.log(k) - h_cond), rel=1e-9)


def test_frechet_distance_of_shifted_gaussians_within_sampling_tolerance():
    rng = np.random.default_rng(7)
    n, d = 5000, 8
    mu = rng.normal(size=d)
    fid = frechet_distance(rng.standard_normal((n, d)), rng.standard_normal((n, d)) + mu)
    # sampling error: ‖μ̂a − μ̂b‖² has sd ≈ 2‖μ‖·√(2/n); the covariance terms add a bias ≈ d²/(2n)
    tol = 4 * 2 * np.linalg.norm(mu) * np.sqrt(2 / n) + d * d / n
    assert abs(fid - mu @ mu) < tol
    same = rng.standard_normal((50, d))
    assert frechet_distance(same, same) == pytest.approx(0.0, abs=1e-6)
    # rank-deficient covariances (3 samples in 8-d): ε·I path, finite, real, ≈ the mean term
    a = rng.standard_normal((3, d))
    assert np.isfinite(frechet_distance(a, a + 1.0)) and frechet_distance(a, a + 1.0) == pytest.approx(d, rel=1e-3)


def test_ndb_same_distribution_at_or_below_alpha_k_and_disjoint_distributions_at_k():
    from foleygan_tf.evaluation.metrics import NDBBins, ndb_from_cells

    rng = np.random.default_rng(8)
    k, alpha = 50, 0.05
    train = rng.standard_normal((1200, 3))
    bins = NDBBins(train, k, seed=0)
    same = ndb_from_cells(bins.train_cells, bins.cells(rng.standard_normal((800, 3))), k, alpha)
    assert same["ndb"] <= 2 * alpha * k                             # expected α·K = 2.5 false positives
    assert len(same["train_proportions"]) == len(same["generated_proportions"]) == k
    assert sum(same["train_proportions"]) == pytest.approx(1.0)
    assert sum(same["generated_proportions"]) == pytest.approx(1.0)
    far = rng.standard_normal((800, 3)) * 0.1 + 20.0                # all in the one cell nearest to (20, …)
    assert ndb_from_cells(bins.train_cells, bins.cells(far), k, alpha)["ndb"] >= k - 1
    r = ndb(train[:200], train[200:400], k=10, alpha=alpha, seed=3)  # the one-call form
    assert (r["k"], r["alpha"], r["seed"]) == (10, alpha, 3) and r["ndb"] <= 3


def test_ndb_from_cells_two_proportion_z_test_by_hand():
    from scipy.stats import norm

    from foleygan_tf.evaluation.metrics import ndb_from_cells

    train = np.repeat([0, 1, 2], [50, 30, 20])                     # 0.5 / 0.3 / 0.2
    gen = np.repeat([0, 1, 2], [20, 30, 50])                       # 0.2 / 0.3 / 0.5
    r = ndb_from_cells(train, gen, 3, alpha=0.05)
    p = (50 + 20) / 200
    z0 = (0.5 - 0.2) / np.sqrt(p * (1 - p) * (1 / 100 + 1 / 100))   # 4.4 > 1.96
    assert abs(z0) > norm.ppf(0.975)
    assert r["different"] == [True, False, True] and r["ndb"] == 2 and r["ndb_over_k"] == pytest.approx(2 / 3)
    assert r["generated_proportions"] == pytest.approx([0.2, 0.3, 0.5])
    assert ndb_from_cells(train, train, 3)["ndb"] == 0 and ndb_from_cells(train, train, 3)["js_divergence"] == 0
