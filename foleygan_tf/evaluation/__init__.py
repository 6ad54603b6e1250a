"""Evaluation: the paper's metrics (IS, FID, NDB, retrieval accuracy) and synchronisation scores.

Onset detection and scoring live in :mod:`foleygan_tf.audio.onsets` and are re-exported here with
the metrics. The retrieval classifier (``evaluation.classifier``) and the ``foleygan evaluate``
report (``evaluation.report``, ``evaluation.rainbowgram``) import TensorFlow/matplotlib and are
imported from their modules (docs/evaluation.md).
"""

from foleygan_tf.audio.onsets import detect_onsets, match_onsets, onset_envelope, onset_scores, pooled_onsets
from foleygan_tf.evaluation.metrics import (NDBBins, frechet_distance, inception_score, ndb, ndb_from_cells,
                                            retrieval_accuracy)
from foleygan_tf.evaluation.sync import av_offset

__all__ = ["NDBBins", "av_offset", "detect_onsets", "frechet_distance", "inception_score", "match_onsets", "ndb",
           "ndb_from_cells", "onset_envelope", "onset_scores", "pooled_onsets", "retrieval_accuracy"]
