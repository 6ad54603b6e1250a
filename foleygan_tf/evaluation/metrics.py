"""The paper's distribution metrics (§VI-B–D), on the retrieval classifier's outputs (numpy/scipy).

* :func:`inception_score` — IS = exp(E_x KL(p(y|x) ‖ p(y))) (eq. 6), whole-set (TF-GAN) or the
  10-split mean ± std variant (OpenAI / SpecVQGAN);
* :func:`frechet_distance` — FID (eq. 7) of classifier features, pytorch-fid's matrix square root
  handling (ε·I on singular products, imaginary parts ≤ 1e-3 dropped, larger ones an error);
* :func:`ndb` — number of statistically different bins (Richardson & Weiss 2018), k-means with K
  cells on training log-spectrograms, two-proportion z-tests at α.

Reference facts: ``../shared/reference/metrics.md``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np


def _as_probs(probs) -> np.ndarray:
    p = np.asarray(probs, np.float64)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"class probabilities must be [samples, classes], got shape {p.shape}")
    if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("class probabilities must be non-negative rows summing to 1 (apply softmax first)")
    return p


def _is_of(p: np.ndarray) -> float:
    marginal = p.mean(axis=0, keepdims=True)
    kl = np.sum(p * (np.log(np.clip(p, 1e-12, None)) - np.log(np.clip(marginal, 1e-12, None))), axis=1)
    return float(np.exp(kl.mean()))


def inception_score(probs, splits: int = 1) -> tuple[float, float]:
    """``(mean, std)`` of IS over ``splits`` equal splits (``splits=1``: the whole set, std 0).

    Identical predictions give 1; confident predictions spread evenly over K classes give K.
    """
    p = _as_probs(probs)
    if splits < 1 or splits > p.shape[0]:
        raise ValueError(f"splits must be in [1, {p.shape[0]}], got {splits}")
    scores = [_is_of(part) for part in np.array_split(p, splits)]
    return float(np.mean(scores)), float(np.std(scores))


def frechet_distance(features_a, features_b, eps: float = 1e-6) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½) with unbiased covariances (FID, eq. 7)."""
    from scipy import linalg

    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"features must be [samples, dim] with equal dim, got {a.shape} and {b.shape}")
    if min(a.shape[0], b.shape[0]) < 2:
        raise ValueError("need at least 2 samples per set for a covariance")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    sigma_a, sigma_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():   # scipy warns on singular products; handled below as pytorch-fid does
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma_a @ sigma_b)
        if not np.isfinite(covmean).all():
            offset = np.eye(sigma_a.shape[0]) * eps
            covmean = linalg.sqrtm((sigma_a + offset) @ (sigma_b + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"matrix square root has a large imaginary component "
                             f"({np.max(np.abs(covmean.imag)):.3g})")
        covmean = covmean.real
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * np.trace(covmean))


class NDBBins:
    """The K Voronoi cells of NDB: k-means (``n_init=10``, seeded) on training samples ``[n, ...]``
    (flattened). ``cells(x)`` assigns samples ``[m, ...]`` to their nearest centre → int ``[m]``;
    ``train_cells`` are the training samples' cells."""

    def __init__(self, train, k: int = 50, seed: int = 0):
        from sklearn.cluster import KMeans

        x = np.asarray(train, np.float64).reshape(len(train), -1)
        if x.shape[0] < k:
            raise ValueError(f"NDB with K={k} needs at least {k} training samples, got {x.shape[0]}")
        self.k, self.seed, self.dim = int(k), int(seed), x.shape[1]
        self._kmeans = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
        self.train_cells = self._kmeans.labels_.astype(np.int64)

    def cells(self, samples) -> np.ndarray:
        y = np.asarray(samples, np.float64).reshape(len(samples), -1)
        if y.shape[1] != self.dim:
            raise ValueError(f"train and generated samples differ in size: {self.dim} vs {y.shape[1]}")
        return self._kmeans.predict(y).astype(np.int64)


def ndb_from_cells(train_cells, generated_cells, k: int, alpha: float = 0.05) -> dict:
    """NDB from cell assignments (int ``[n]`` and ``[m]`` in ``[0, k)``): per cell a two-tailed
    two-proportion z-test of the training vs generated proportions (pooled standard error) at
    level ``alpha``. Returns the dict of :func:`ndb` (without the seed)."""
    from scipy.stats import norm

    train_cells, generated_cells = np.asarray(train_cells, np.int64), np.asarray(generated_cells, np.int64)
    if len(train_cells) == 0 or len(generated_cells) == 0:
        raise ValueError("NDB needs at least one training and one generated sample")
    train_counts = np.bincount(train_cells, minlength=k).astype(np.float64)
    gen_counts = np.bincount(generated_cells, minlength=k).astype(np.float64)
    n1, n2 = len(train_cells), len(generated_cells)
    p1, p2 = train_counts / n1, gen_counts / n2
    pooled = (train_counts + gen_counts) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = np.where(se > 0, (p1 - p2) / np.where(se > 0, se, 1.0), 0.0)
    different = np.abs(z) > norm.ppf(1 - alpha / 2)
    m = 0.5 * (p1 + p2)

    def kl(p, q):
        mask = p > 0
        return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))

    count = int(different.sum())
    return {"ndb": count, "ndb_over_k": count / k, "k": int(k), "alpha": float(alpha),
            "train_samples": n1, "generated_samples": n2,
            "train_proportions": p1.tolist(), "generated_proportions": p2.tolist(),
            "different": different.tolist(), "js_divergence": 0.5 * kl(p1, m) + 0.5 * kl(p2, m)}


def ndb(train, generated, k: int = 50, alpha: float = 0.05, seed: int = 0) -> dict:
    """Number of statistically different bins.

    Args:
        train, generated: ``[samples, ...]`` log-spectrograms (flattened here).
        k: number of k-means cells (paper: 50). alpha: test level (two-tailed). seed: k-means seed.

    Returns ``{"ndb": int, "ndb_over_k": float, "k": k, "alpha": alpha, "seed": seed,
    "train_samples", "generated_samples", "train_proportions": [k], "generated_proportions": [k],
    "different": [bool] * k, "js_divergence": float}``.
    """
    bins = NDBBins(train, k, seed)
    result = ndb_from_cells(bins.train_cells, bins.cells(generated), k, alpha)
    result["seed"] = int(seed)
    return result


def retrieval_accuracy(probs, labels, num_classes: int | None = None) -> dict:
    """Overall and class-averaged accuracy of the retrieval classifier (§VI-A "average accuracy")."""
    p = np.asarray(probs)
    labels = np.asarray(labels, np.int64)
    if p.ndim != 2 or p.shape[0] != labels.shape[0]:
        raise ValueError(f"probs [samples, classes] and labels [samples] disagree: {p.shape} vs {labels.shape}")
    num_classes = num_classes or p.shape[1]
    pred = p.argmax(axis=1)
    per_class = {int(c): float(np.mean(pred[labels == c] == c)) for c in range(num_classes) if np.any(labels == c)}
    return {"accuracy": float(np.mean(pred == labels)),
            "average_accuracy": float(np.mean(list(per_class.values()))) if per_class else math.nan,
            "per_class": per_class}
