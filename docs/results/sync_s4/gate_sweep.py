"""Sweep the action gate on one split: onset F1 (TRN / shuffled guidance) and class accuracy.

usage: gate_sweep.py MODELS SHARDS SPLIT CLASSIFIER_RUN [rule …]
rule "absolute": ch0 -= d·(1 − ĉ); rule "relative": ch0 -= d·(max_t ĉ − ĉ) per clip;
rule "stabilise": rows with ĉ < d get the per-bin median of those rows ("stabilise_min": at most it).
Also scores the real windows through the same gate (keyed by the TRN's curve).
"""
import sys

import numpy as np
import tensorflow as tf

from foleygan_tf.audio import SpectrogramCodec
from foleygan_tf.config import AudioConfig
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.evaluation.classifier import load_classifier
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.inference.postfilter import apply_fir, lowpass_taps

models, shards, split, clf_dir = sys.argv[1:5]
rules = sys.argv[5:] or ["absolute", "relative"]
pipe = FoleyPipeline.from_saved_models(models)
wins = gc.load_windows(shards, split)
audio = AudioConfig(**pipe.gen_meta["config"]["audio"])
names = pipe.class_names
clf = load_classifier(clf_dir)
labels = np.array([names.index(w["class_name"]) for w in wins])
trn = [{k: v.numpy()[0] for k, v in pipe.serve_trn(frames=tf.constant(w["frames"][None]),
                                                     fps=tf.constant([w["fps"]], tf.float32)).items()} for w in wins]
ts = np.stack([t["action_spectrogram"] for t in trn])
tc = np.stack([t["action_curve"] for t in trn])
perm = gc._derangement([w["class_name"] for w in wins], np.random.default_rng(0))
codec = SpectrogramCodec(audio)
taps = lowpass_taps(512)


def gen(s, c):
    out = []
    for i, w in enumerate(wins):
        oh = np.zeros((1, len(names)), np.float32)
        oh[0, labels[i]] = 1
        out.append(pipe.serve_gen(z=tf.constant(pipe.sample_z(i, None)), class_probs=oh,
                                  action_spectrogram=s[i:i + 1], action_curve=c[i:i + 1])["spectrogram"].numpy()[0])
    return np.stack(out)


def score(im):
    waves = np.stack([apply_fir(x, taps) for x in codec.decode(im).numpy()])
    s = gc.score_waves(list(waves), wins, audio)["overall"]
    acc = float(np.mean(np.argmax(clf.predict_waves(waves)["probs"], -1) == labels))
    return f"{s['f1']:.2f} (P {s['precision']:.2f} R {s['recall']:.2f}) acc {acc:.2f}"


chance = 1.0 / len(names)


def gate(im, c, d, rule):
    if rule.startswith("stabilise"):
        # rows with little action: ch0 replaced by the per-bin median of those rows (a steady
        # background of the same level and timbre); d = the action level below which a row counts
        level = np.clip((c - chance) / (1 - chance), 0, 1)
        out = im.copy()
        for b in range(len(im)):
            quiet = level[b] < d
            if quiet.sum() >= 2:
                med = np.median(im[b, quiet, :, 0], axis=0)
                if rule == "stabilise":
                    out[b, quiet, :, 0] = med
                else:  # stabilise_min: only lower a row towards the median, never raise it
                    out[b, quiet, :, 0] = np.minimum(im[b, quiet, :, 0], med)
        return out
    level = np.clip((c - chance) / (1 - chance), 0, 1)
    top = level.max(1, keepdims=True) if rule == "relative" else 1.0
    out = im.copy()
    out[..., 0] = np.maximum(im[..., 0] - d * (top - level)[:, :, None], -1)
    return out


ims = {"trn": (gen(ts, tc), tc), "shuffled": (gen(ts[perm], tc[perm]), tc[perm]),
       "real": (codec.encode(np.stack([w["wave"] for w in wins]).astype(np.float32)).numpy(), tc)}
print("depth 0:", " | ".join(f"{m} {score(im)}" for m, (im, c) in ims.items()), flush=True)
for rule in rules:
    for d in ((0.1, 0.2, 0.3, 0.5) if rule.startswith("stabilise") else (0.2, 0.3, 0.4, 0.5, 0.7)):
        print(f"{rule} {d}:", " | ".join(f"{m} {score(gate(im, c, d, rule))}" for m, (im, c) in ims.items()), flush=True)
