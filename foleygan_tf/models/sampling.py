"""BigGAN training/sampling helpers: truncated z, orthogonal regularisation, EMA of G.

References: BigGAN paper §3.1 (truncation trick, orthogonal regularisation), BigGAN-PyTorch
``utils.py`` (``ortho``, ``ema``); ``../shared/reference/biggan.md``.
"""

from __future__ import annotations

import numpy as np
from keras import ops

# Below this threshold almost every draw is rejected (acceptance ≈ 0.8·t): the lowest truncation
# BigGAN shows is 0.04; we stop there.
MIN_TRUNCATION = 0.04


def sample_z(batch, z_dim, truncation=1.0, seed=None):
    """``[batch, z_dim]`` float32 standard-normal latents, truncated at ``truncation``.

    True truncation (paper §V-B "resampling the z values"): every value with ``|z| > truncation``
    is redrawn until all lie in ``[-truncation, truncation]`` — a normal truncated at the
    threshold, *not* a rescaled ``truncated_normal(-2, 2)`` as in TF-Hub. ``truncation=None``
    disables it; otherwise it must be ≥ ``MIN_TRUNCATION``. 1.0 is the config default
    (``gan.truncation``); smaller values trade variety for quality. ``seed`` makes it reproducible.
    """
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((int(batch), int(z_dim)))
    if truncation is not None:
        if not truncation >= MIN_TRUNCATION:
            raise ValueError(f"truncation must be ≥ {MIN_TRUNCATION} (or None), got {truncation}")
        outside = np.abs(z) > truncation
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(z) > truncation
    return z.astype(np.float32)


def orthogonal_regularization(model, beta=1e-4):
    """BigGAN's off-diagonal orthogonal regulariser ``β Σ_W ‖WᵀW ⊙ (1 − I)‖²_F`` (scalar, float32).

    Over every trainable weight of rank ≥ 2 of ``model`` (conv/dense/embedding kernels, reshaped to
    ``[-1, out]`` so WᵀW is out×out), excluding ``model.ortho_reg_exclusions()`` (G's shared
    embedding, as BigGAN-PyTorch's blacklist). The raw (not spectrally normalised) kernels are
    regularised, like the reference. Note: BigGAN-PyTorch adds ``2β (WWᵀ⊙(1−I))W`` straight to the
    gradients, i.e. the gradient of ``β/2·‖…‖²``; we use the paper's formula (β‖…‖²) — pass
    ``beta/2`` to match the PyTorch code bit for bit.
    """
    total = ops.zeros((), "float32")
    if beta == 0:   # switched off: no graph of Gram matrices whose sum is multiplied by 0
        return total
    excluded = {id(w) for w in getattr(model, "ortho_reg_exclusions", lambda: [])()}
    for w in model.trainable_weights:
        if len(w.shape) < 2 or id(w) in excluded:
            continue
        total = total + off_diagonal_gram_energy(ops.reshape(ops.cast(w, "float32"), (-1, w.shape[-1])))
    return beta * total


def off_diagonal_gram_energy(mat):
    """``‖MᵀM ⊙ (1 − I)‖²_F`` of ``mat`` ``[rows, cols]``, through the smaller Gram matrix.

    ``‖MᵀM‖_F = ‖MMᵀ‖_F`` (both are ``tr((MᵀM)²)``) and ``diag(MᵀM)`` holds the squared column
    norms, so the off-diagonal energy is ``‖MMᵀ‖²_F − Σ_j ‖M[:, j]‖⁴`` — the same value and gradient
    without the cols×cols matrix when cols > rows. That matters: the paper G's first linear layer
    is 148 × 24 576, whose 24 576² Gram (2.4 GB in float32, three copies kept for the backward
    pass) dominated the G update's memory (docs/training.md, "Memory").
    """
    rows, cols = mat.shape
    if cols <= rows:
        gram = ops.matmul(ops.transpose(mat), mat)
        return ops.sum(ops.square(gram * (1.0 - ops.eye(cols, dtype=mat.dtype))))
    small = ops.matmul(mat, ops.transpose(mat))
    return ops.sum(ops.square(small)) - ops.sum(ops.square(ops.sum(ops.square(mat), axis=0)))


class ModelEMA:
    """An exponential-moving-average copy of a model's weights (BigGAN-PyTorch ``utils.ema``).

    ``self.average`` is a second instance of the same class built from ``model.get_config()``.
    ``update(step)`` sets ``avg ← d·avg + (1 − d)·w`` for **every** variable — trainable weights,
    BN moving statistics and spectral-norm ``u`` vectors alike (the reference averages the whole
    ``state_dict``) — with ``d = decay`` once ``step ≥ start_step`` and ``d = 0`` (a plain copy)
    before, so the average starts from the weights at ``start_step``. ``step`` may be a tensor: the
    update has no Python branch and runs inside ``tf.function``. Samples and exports use
    ``self.average``.
    """

    def __init__(self, model, decay=0.9999, start_step=0):
        self.model = model
        self.decay = float(decay)
        self.start_step = int(start_step)
        self.average = model.__class__.from_config(model.get_config())
        if not self.average.built:
            raise ValueError(f"{type(model).__name__} must create its weights at construction for ModelEMA")
        self._pairs = list(zip(self.average.weights, model.weights))
        if len(self.average.weights) != len(model.weights) or any(
                tuple(a.shape) != tuple(w.shape) for a, w in self._pairs):
            raise ValueError("ModelEMA: the copy's weights do not match the model's")
        self.copy()

    def copy(self):
        """Set the average to the model's current weights."""
        for avg, w in self._pairs:
            avg.assign(w)

    def update(self, step):
        """One EMA step at optimizer update ``step`` (int or scalar tensor)."""
        decay = ops.where(ops.greater_equal(step, self.start_step), self.decay, 0.0)
        factors = {}   # (d, 1 − d) per dtype, made once: a few hundred variables share them
        for avg, w in self._pairs:
            if avg.dtype not in factors:
                d = ops.cast(decay, avg.dtype)
                factors[avg.dtype] = d, 1.0 - d
            d, rest = factors[avg.dtype]
            avg.assign(d * avg + rest * w)
