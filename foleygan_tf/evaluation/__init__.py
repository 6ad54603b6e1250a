"""Evaluation: the paper's metrics (IS, FID, NDB, retrieval accuracy) and synchronisation scores."""

from foleygan_tf.evaluation.metrics import frechet_distance, inception_score, ndb, retrieval_accuracy
from foleygan_tf.evaluation.sync import av_offset, detect_onsets, match_onsets, onset_scores

__all__ = ["av_offset", "detect_onsets", "frechet_distance", "inception_score", "match_onsets", "ndb",
           "onset_scores", "retrieval_accuracy"]
