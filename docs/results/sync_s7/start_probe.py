"""``start_probe.py MODELS SHARDS``: the first 100 ms of G's and the real audio of four event windows
(onset envelope, RMS per 10 ms), then guided F1 / start onsets with a linear fade-in of 0 / 0.05 /
0.1 / 0.2 s on G's and the real audio."""
import sys
import numpy as np
from foleygan_tf.evaluation.guidance_check import guidance_check, load_windows, event_classes, score_waves
from foleygan_tf.evaluation.sync import onset_envelope, detect_onsets
models, shards = sys.argv[1], sys.argv[2]
windows = load_windows(shards, "test")
res = guidance_check(models, windows=windows, modes=("normal",), keep_waves=True, pact_alignment=False)
sr = res["sample_rate"]
cls = set(event_classes(windows))
idx = [i for i, w in enumerate(windows) if w["class_name"] in cls]
for i in idx[:4]:
    w = windows[i]; g = res["waves"]["normal"][i]
    eg, rate = onset_envelope(g, sr); er, _ = onset_envelope(w["wave"], sr)
    print(w["class_name"], "events", np.round(w["events"], 2))
    print("  G    env[0:12]", np.round(eg[:12], 2), "onsets", np.round(detect_onsets(g, sr)[:4], 2))
    print("  real env[0:12]", np.round(er[:12], 2))
    print("  |G| first 100 ms rms by 10 ms:", np.round([np.sqrt(np.mean(g[k*28:(k+1)*28]**2)) for k in range(10)], 4), "clip rms", round(float(np.sqrt(np.mean(g**2))), 4))
    print("  |R| first 100 ms rms by 10 ms:", np.round([np.sqrt(np.mean(w['wave'][k*28:(k+1)*28]**2)) for k in range(10)], 4), "clip rms", round(float(np.sqrt(np.mean(w['wave']**2))), 4))
audio = __import__("json").load(open(models + "/generator/assets/foleygan_generator.json"))["config"]["audio"]
for fade in (0.0, 0.05, 0.1, 0.2):
    n = int(fade * sr)
    ramp = np.ones(len(windows[0]["wave"]), np.float32)
    if n: ramp[:n] = np.linspace(0, 1, n, endpoint=False)
    gw = [wv * ramp[:len(wv)] for wv in res["waves"]["normal"]]
    rw = [w["wave"] * ramp[:len(w["wave"])] for w in windows]
    sg = score_waves(gw, windows, audio)["overall"]; srl = score_waves(rw, windows, audio)["overall"]
    starts = sum(int(np.any(detect_onsets(gw[i], sr) < 0.1)) for i in idx)
    print(f"fade-in {fade:.2f} s: G P {sg['precision']:.2f} R {sg['recall']:.2f} F1 {sg['f1']:.2f}, start onsets {starts}/{len(idx)}; real F1 {srl['f1']:.2f}")
