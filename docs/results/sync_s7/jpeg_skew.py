"""video_sync with the TRN's frames JPEG round-tripped (quality 90, as prepare stores them)."""
import sys
import cv2
import numpy as np
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.evaluation.video_sync import video_sync, format_video_sync, event_videos

models, videos = sys.argv[1], event_videos(sys.argv[2:])
p = FoleyPipeline.from_saved_models(models)
orig = p.trn_frames
def jpeg_frames(frames, fps):
    f, r = orig(frames, fps)
    q = [int(cv2.IMWRITE_JPEG_QUALITY), 90]
    out = np.stack([cv2.cvtColor(cv2.imdecode(cv2.imencode(".jpg", cv2.cvtColor(x, cv2.COLOR_RGB2BGR), q)[1], cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for x in f])
    return out, r
p.trn_frames = jpeg_frames
print(format_video_sync(video_sync(p, videos)))
