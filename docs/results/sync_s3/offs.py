import numpy as np, sys
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.evaluation.sync import detect_onsets
wins = gc.load_windows(sys.argv[2], "test")
r = gc.guidance_check(sys.argv[1], windows=wins, modes=("normal", "oracle"), keep_waves=True, pact_alignment=False)
for mode in ("normal", "oracle"):
    offs = []
    for w, wave in zip(wins, r["waves"][mode]):
        if not (w["has_events"] and len(w["events"])): continue
        for o in detect_onsets(np.asarray(wave, np.float32), 689):
            offs.append(o - w["events"][np.argmin(np.abs(w["events"] - o))])
    offs = np.array(offs)
    h, e = np.histogram(offs, bins=np.arange(-0.5, 0.55, 0.05))
    print(mode, len(offs), "median", round(float(np.median(offs)), 3))
    print(" ".join(f"{a:+.2f}:{b}" for a, b in zip(e[:-1], h)))
offs = []
for w in wins:
    if not (w["has_events"] and len(w["events"])): continue
    for o in detect_onsets(w["wave"], 689):
        offs.append(o - w["events"][np.argmin(np.abs(w["events"] - o))])
print("real median", round(float(np.median(offs)), 3), np.histogram(offs, bins=np.arange(-0.5, 0.55, 0.05))[0])
from foleygan_tf.evaluation.sync import onset_scores
for mode in ("normal", "oracle"):
    for shift in (0.0, 0.03, 0.05, 0.07):
        tp = est = ref = 0
        for w, wave in zip(wins, r["waves"][mode]):
            if not (w["has_events"] and len(w["events"])): continue
            on = detect_onsets(np.asarray(wave, np.float32), 689) + shift
            s = onset_scores(w["events"], on, 0.1); tp += s["num_matched"]; est += s["num_estimated"]; ref += s["num_reference"]
        p, rr = tp / est, tp / ref
        print(mode, "shift", shift, "P", round(p, 2), "R", round(rr, 2), "F1", round(2 * p * rr / (p + rr), 2))
