"""usage: start_cost.py MODELS SHARDS — pooled onset P/R/F1 of the guided test windows (event
classes) scored from t = 0 and with their first 0.1 / 0.15 s cut off (events shifted alike), for G
and for the real audio: what the spurious onset at a clip's start costs."""
import sys
import numpy as np
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.evaluation.sync import detect_onsets, onset_scores

wins = gc.load_windows(sys.argv[2], "test")
res = gc.guidance_check(sys.argv[1], windows=wins, modes=("normal",), keep_waves=True, pact_alignment=False)
sr = res["sample_rate"]
classes = set(res["event_classes"])
for name, waves in (("G guided", res["waves"]["normal"]), ("real", [w["wave"] for w in wins])):
    for cut in (0.0, 0.1, 0.15):
        tp = est = ref = 0
        for wave, w in zip(waves, wins):
            if w["class_name"] not in classes:
                continue
            x = np.asarray(wave, np.float32)[: int(w["valid_seconds"] * sr)]
            ev = w["events"][w["events"] < len(x) / sr]
            s = onset_scores(ev[ev > cut] - cut, detect_onsets(x[int(cut * sr):], sr))
            tp += s["num_matched"]; est += s["num_estimated"]; ref += s["num_reference"]
        p, r = tp / est, tp / ref
        print(f"{name:9s} from {cut:.2f} s: P {p:.2f} R {r:.2f} F1 {2*p*r/(p+r):.2f}  ({ref} events, {est} onsets)")
