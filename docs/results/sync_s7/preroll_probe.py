"""``preroll_probe.py MODELS SHARDS``: emulate a pre-roll on the shard windows: the TRN sees k copies of frame 0 followed by the first
72 - k frames; G's audio from k / fps on is the window's [0, 3 - k/fps) part. Scored on events
< 3 - k/fps - 0.1 against the same span of the unshifted G audio."""
import sys
import numpy as np
import tensorflow as tf
from foleygan_tf.evaluation.guidance_check import load_windows, event_classes, trn_outputs
from foleygan_tf.evaluation.sync import detect_onsets, onset_scores
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.evaluation.guidance_check import pooled_onsets

models, shards = sys.argv[1], sys.argv[2]
pipe = FoleyPipeline.from_saved_models(models)
windows = load_windows(shards, "test")
cls = set(event_classes(windows))
windows = [w for w in windows if w["class_name"] in cls]
sr = pipe.sample_rate
def gen(ws, seed0=0):
    trn = trn_outputs(pipe, ws)
    out = []
    for i, (w, t) in enumerate(zip(ws, trn)):
        z = pipe.sample_z(seed0 + i)
        ci = int(np.argmax(t["class_probs"]))
        got = pipe.serve_gen(z=tf.constant(z), class_probs=tf.one_hot([ci], len(pipe.class_names)),
                             action_spectrogram=tf.constant(t["action_spectrogram"][None]),
                             action_curve=tf.constant(t["action_curve"][None]))
        out.append(got["waveform"].numpy()[0])
    return out
base = gen(windows)
for k in (0, 2, 3, 6):
    shifted = []
    for w in windows:
        f = w["frames"]
        shifted.append({**w, "frames": np.concatenate([np.repeat(f[:1], k, 0), f[: len(f) - k]])})
    waves = gen(shifted) if k else base
    off = k / windows[0]["fps"]
    span = 3.0 - off - 0.15
    rows, rows_b, starts = [], [], 0
    for w, a, b in zip(windows, waves, base):
        ev = [e for e in w["events"] if e < span]
        on = detect_onsets(a[int(round(off * sr)):], sr); on = on[on < span + 0.1]
        onb = detect_onsets(b, sr); onb = onb[onb < span + 0.1]
        rows.append(onset_scores(ev, on)); rows_b.append(onset_scores(ev, onb))
        starts += int(np.any(on < 0.1))
    p, pb = pooled_onsets(rows), pooled_onsets(rows_b)
    print(f"pre-roll {k} frames ({off:.3f} s): F1 {p['f1']:.2f} (P {p['precision']:.2f} R {p['recall']:.2f}), start onsets {starts}/{len(windows)}; no pre-roll on the same span F1 {pb['f1']:.2f}")
