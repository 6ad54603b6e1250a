"""Paired losses on G against the real image of the window its guidance comes from (our addition).

The paper's objective (hinge loss, eq. 3) never rewards sync: D(x, y) sees no action, so G may
ignore S_act. These L1 losses compare G's image with the real spectrogram of the same window —
the window whose S_act/P_act condition G — so G learns *when* the sound is loud and what it sounds
like in a few thousand updates (switches ``gan.envelope_loss``, ``gan.spectrum_loss``,
``gan.onset_loss``; 0 = the paper's objective). All take images ``[B, R(time), R(freq), 3]``
whose ch0 is the log magnitude (every encoding; −1 = the codec's floor) and return a scalar.
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["PAIRED_LOSSES", "time_envelope", "frequency_profile", "onset_strength", "envelope_l1", "spectrum_l1",
           "onset_l1"]


def _log_magnitude(image):
    return tf.cast(image[..., 0], tf.float32)


def time_envelope(image):
    """Loudness envelope ``[B, R]``: ch0 averaged over frequency."""
    return tf.reduce_mean(_log_magnitude(image), axis=-1)


def frequency_profile(image):
    """Average spectrum ``[B, R]``: ch0 averaged over time (the timbre of the class)."""
    return tf.reduce_mean(_log_magnitude(image), axis=1)


def onset_strength(image):
    """Onset strength over time ``[B, R − 1]``: the spectral flux of ch0,
    ``mean_f max(0, ch0[t + 1, f] − ch0[t, f])`` — where the sound *starts*. Unlike the envelope
    it sees a background that flickers bin by bin (which the onset metric counts as spurious
    onsets) and soft attacks."""
    log_mag = _log_magnitude(image)
    return tf.reduce_mean(tf.nn.relu(log_mag[:, 1:] - log_mag[:, :-1]), axis=-1)


def envelope_l1(fake, real):
    """``mean |time_envelope(fake) − time_envelope(real)|`` (``gan.envelope_loss``)."""
    return tf.reduce_mean(tf.abs(time_envelope(fake) - time_envelope(real)))


def spectrum_l1(fake, real):
    """``mean |frequency_profile(fake) − frequency_profile(real)|`` (``gan.spectrum_loss``)."""
    return tf.reduce_mean(tf.abs(frequency_profile(fake) - frequency_profile(real)))


def onset_l1(fake, real):
    """``mean |onset_strength(fake) − onset_strength(real)|`` (``gan.onset_loss``)."""
    return tf.reduce_mean(tf.abs(onset_strength(fake) - onset_strength(real)))


#: ``{config field of gan: (loss, metric name)}`` in the order they are logged
PAIRED_LOSSES = {"envelope_loss": (envelope_l1, "g_envelope"), "spectrum_loss": (spectrum_l1, "g_spectrum"),
                 "onset_loss": (onset_l1, "g_onset")}
