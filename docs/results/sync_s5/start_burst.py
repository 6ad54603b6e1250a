"""usage: start_burst.py MODELS SHARDS — does G start every clip with a burst?

For each test window, G (with the 2TRN's guidance, as ``guidance_check``'s "normal" mode) is
decoded by the export; printed: the median over windows of the RMS of the first 150 ms relative to
the clip's RMS (real audio alongside), and the share of windows whose onset envelope (the sync
metric's, normalised per clip) peaks in the first 150 ms — where that peak is not an event."""
import sys

import numpy as np
import tensorflow as tf

from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.evaluation.sync import onset_envelope
from foleygan_tf.inference.pipeline import FoleyPipeline

HEAD_S = 0.15
pipe = FoleyPipeline.from_saved_models(sys.argv[1])
wins = gc.load_windows(sys.argv[2], "test")
sr = pipe.sample_rate
res = gc.guidance_check(pipe, windows=wins, modes=("normal",), class_source="label", keep_waves=True,
                        pact_alignment=False)


def stats(waves):
    head, peak_first = [], []
    for x, w in zip(waves, wins):
        x = np.asarray(x, np.float64)
        n = int(HEAD_S * sr)
        head.append(np.sqrt(np.mean(x[:n] ** 2)) / max(np.sqrt(np.mean(x ** 2)), 1e-12))
        env, rate = onset_envelope(x.astype(np.float32), sr)
        first_event = min(w["events"], default=np.inf)
        if first_event > HEAD_S + 0.1:   # no event near the start: a peak there is spurious
            peak_first.append(np.argmax(env) / rate < HEAD_S)
    return np.median(head), np.mean(peak_first), len(peak_first)


for name, waves in (("generated", res["waves"]["normal"]), ("real", [w["wave"] for w in wins])):
    h, p, n = stats(waves)
    print(f"{name:10s} first {HEAD_S * 1000:.0f} ms RMS / clip RMS: median {h:.2f}; onset-envelope maximum in "
          f"the first {HEAD_S * 1000:.0f} ms: {100 * p:.0f} % of {n} windows without an event there")
