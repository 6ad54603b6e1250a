"""Diagnostic: G's sync with oracle guidance (upper bound independent of the TRN)."""
import sys, json, numpy as np, tensorflow as tf
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.config import AudioConfig
from foleygan_tf.models.action_spectrogram import action_spectrogram
from foleygan_tf.data.pipeline import pair_onset_weights

models, shards = sys.argv[1], sys.argv[2]
pipe = FoleyPipeline.from_saved_models(models)
wins = gc.load_windows(shards, "test")
audio = AudioConfig(**pipe.gen_meta["config"]["audio"])
sr = pipe.sample_rate
names = pipe.class_names
def oracle_audio(w):
    P = len(w["frames"]) - 1
    return pair_onset_weights(tf.constant(w["wave"]), w["fps"], P, sr).numpy()
def oracle_events(w):
    P = len(w["frames"]) - 1
    tau = (np.arange(P) + 0.5) / w["fps"]
    p = np.zeros(P, np.float32)
    for e in w["events"]:
        p = np.maximum(p, np.clip(1 - np.abs(e - tau) * w["fps"], 0, 1))
    return p
res = {}
trn = [{k: v.numpy()[0] for k, v in pipe.serve_trn(frames=tf.constant(w["frames"][None]), fps=tf.constant([w["fps"]], tf.float32)).items()} for w in wins]
impulsive = gc.event_classes(wins)
zs = np.concatenate([pipe.sample_z(i, None) for i in range(len(wins))])
onehot = np.zeros((len(wins), len(names)), np.float32)
onehot[np.arange(len(wins)), [names.index(w["class_name"]) for w in wins]] = 1
for name, fn in [("trn", None), ("oracle_audio", oracle_audio), ("oracle_events", oracle_events)]:
    if fn is None:
        s = np.stack([t["action_spectrogram"] for t in trn]); c = np.stack([t["action_curve"] for t in trn])
        pacts = [t["p_act"] for t in trn]
    else:
        pacts = [fn(w) for w in wins]
        # map to the TRN output range: 1/C .. 1
        pacts = [1/len(names) + (1-1/len(names))*p for p in pacts]
        out = [action_spectrogram(p[None].astype(np.float32), w["fps"], audio, with_steps=True) for p, w in zip(pacts, wins)]
        s = np.concatenate([o[0].numpy() for o in out]); c = np.concatenate([o[1].numpy() for o in out])
    waves = []
    for b in range(0, len(wins), 8):
        got = pipe.serve_gen(z=tf.constant(zs[b:b+8]), class_probs=tf.constant(onehot[b:b+8]),
                             action_spectrogram=tf.constant(s[b:b+8].astype(np.float32)), action_curve=tf.constant(c[b:b+8].astype(np.float32)))
        waves.extend(got["waveform"].numpy())
    summ = gc.score_waves(waves, wins, audio)
    o = summ["overall"]
    print(f"{name:14s} P {o['precision']:.2f} R {o['recall']:.2f} F1 {o['f1']:.2f} r_ev {o['event_correlation']:.2f}  " +
          " ".join(f"{c[:5]}={summ['per_class'][c]['f1']:.2f}" for c in impulsive), flush=True)
    # pact quality vs events: F1 of pact peaks
real = gc.score_waves([w["wave"] for w in wins], wins, audio)
print("real F1", round(real["overall"]["f1"], 2))

# envelope dump for a few windows (oracle_events guidance, last computed)
from foleygan_tf.evaluation.sync import detect_onsets
for i in [j for j, w in enumerate(wins) if w["class_name"] in ("footstep", "clock", "chopping")][:6]:
    w = wins[i]; g = waves[i]; r = w["wave"]
    def db(x):
        f = np.lib.stride_tricks.sliding_window_view(x, 32)[::16]
        return 10*np.log10(np.mean(f**2, 1) + 1e-10)
    print(w["class_name"], "events", np.round(w["events"], 2))
    print("  gen onsets", np.round(detect_onsets(g, sr), 2))
    print("  gen dB ", " ".join(f"{v:.0f}" for v in db(g)[:90:2]))
    print("  real dB", " ".join(f"{v:.0f}" for v in db(r)[:90:2]))
