"""Where the guided generator's unmatched onsets lie: ``python docs/results/sync_s7/false_onsets.py
MODELS SHARDS`` — for the event-class test windows, each onset the ±100 ms matching leaves unmatched,
binned by where it is: in the first 0.1 s of the window, within 0.3 s of an event (a doubled
or late/early onset), or further from every event (background)."""
import sys

import numpy as np

from foleygan_tf.evaluation.guidance_check import event_classes, guidance_check, load_windows
from foleygan_tf.evaluation.sync import detect_onsets, match_onsets

models, shards = sys.argv[1], sys.argv[2]
windows = load_windows(shards, "test")
res = guidance_check(models, windows=windows, modes=("normal", "oracle"), keep_waves=True, pact_alignment=False)
classes = set(event_classes(windows))
for mode in ("normal", "oracle"):
    bins = {"start (< 0.1 s)": 0, "within 0.3 s of an event": 0, "background (> 0.3 s)": 0}
    matched_total = est_total = 0
    near, matched = [], []            # signed offsets (onset − nearest event) of unmatched / matched onsets
    for w, wave in zip(windows, res["waves"][mode]):
        if w["class_name"] not in classes:
            continue
        ev = np.asarray(w["events"], float)
        est = np.asarray(detect_onsets(wave, res["sample_rate"]), float)
        pairs = match_onsets(ev, est, 0.1)
        used = {e for _, e in pairs}
        matched += [e - r for r, e in pairs]
        matched_total += len(used)
        est_total += len(est)
        for t in est:
            if t in used:
                continue
            d = np.min(np.abs(ev - t)) if len(ev) else np.inf
            if t >= 0.1 and len(ev):
                near.append(t - ev[np.argmin(np.abs(ev - t))])
            bins["start (< 0.1 s)" if t < 0.1 else ("within 0.3 s of an event" if d <= 0.3 else "background (> 0.3 s)")] += 1
    print(f"{mode}: {est_total} onsets, {matched_total} matched; unmatched: " + ", ".join(f"{k} {v}" for k, v in bins.items()))
    print(f"  unmatched after 0.1 s within ±100 ms of an (already matched) event: {sum(abs(o) <= 0.1 for o in near)}, "
          f"before their nearest event: {sum(o < 0 for o in near)} of {len(near)}; matched onsets: median "
          f"{np.median(matched):+.3f} s from their event")
