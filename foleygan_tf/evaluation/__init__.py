"""Evaluation: the paper's metrics (IS, FID, NDB, retrieval accuracy) and synchronisation scores.

The retrieval classifier (``evaluation.classifier``) and the ``foleygan evaluate`` report
(``evaluation.report``, ``evaluation.rainbowgram``) import TensorFlow/matplotlib and are imported
from their modules (docs/evaluation.md).
"""

from foleygan_tf.evaluation.metrics import (NDBBins, frechet_distance, inception_score, ndb, ndb_from_cells,
                                            retrieval_accuracy)
from foleygan_tf.evaluation.sync import av_offset, detect_onsets, match_onsets, onset_envelope, onset_scores

__all__ = ["NDBBins", "av_offset", "detect_onsets", "frechet_distance", "inception_score", "match_onsets", "ndb",
           "ndb_from_cells", "onset_envelope", "onset_scores", "retrieval_accuracy"]
