"""Video side: frame reading + TSN sampling (:mod:`.frames`) and frame feature extractors
(:mod:`.features`). ``features`` imports Keras, so it is not imported here: use
``from foleygan_tf.video.features import build_frame_encoder``."""

from .frames import (read_frames, resample_indices, resize_frames, trained_frame_rate, tsn_indices, tsn_indices_tf,
                     video_fps)

__all__ = ["read_frames", "resample_indices", "resize_frames", "trained_frame_rate", "tsn_indices", "tsn_indices_tf",
           "video_fps"]
