"""usage: demo_start.py WAV SIDECAR_JSON RATE — onset F1 of a generated track (e.g. `make demo`'s
out/demo.wav, resampled to the models' RATE) against the sidecar's events, scored from t = 0 and
with its first 0.1 / 0.15 / 0.2 s cut off (events shifted alike): how much the track's start costs."""
import json
import sys

import numpy as np

from foleygan_tf.audio import load_audio
from foleygan_tf.evaluation.sync import detect_onsets, onset_scores

rate = int(sys.argv[3])
wave = load_audio(sys.argv[1], rate)
with open(sys.argv[2]) as f:
    events = np.asarray(json.load(f)["events"], float)
for cut in (0.0, 0.1, 0.15, 0.2):
    s = onset_scores(events[events > cut] - cut, detect_onsets(wave[int(cut * rate):], rate))
    print(f"from {cut:.2f} s: F1 {s['f1']:.2f} (P {s['precision']:.2f} R {s['recall']:.2f})")
