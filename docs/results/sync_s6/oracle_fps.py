"""usage: oracle_fps.py MODELS SHARDS — (1) onset F1 of G with the oracle guidance (the audio-onset
target) made on the 2TRN's pair grid at 8 fps (as G was trained) and at 12 / 24 fps (finer grids; G
not retrained); (2) where G's onsets fall, with the 8 fps oracle and with the 2TRN's guidance:
histograms of |nearest onset − event| per event and of (onset − nearest event) per onset, in s."""
import sys
import numpy as np, tensorflow as tf
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.config import AudioConfig
from foleygan_tf.data.pipeline import onset_weights_to_pact, pair_onset_weights
from foleygan_tf.models.action_spectrogram import action_spectrogram

pipe = FoleyPipeline.from_saved_models(sys.argv[1]); wins = gc.load_windows(sys.argv[2], "test")
audio = AudioConfig(**pipe.gen_meta["config"]["audio"]); names = pipe.class_names
for fps in (8.0, 12.0, 24.0):
    waves = []
    for i, w in enumerate(wins):
        pairs = int(round(3.0 * fps)) - 1
        p = onset_weights_to_pact(pair_onset_weights(w["wave"], fps, pairs, audio.sample_rate), len(names)).numpy()
        s, c = action_spectrogram(p[None].astype(np.float32), fps, audio, with_steps=True)
        oh = np.zeros((1, len(names)), np.float32); oh[0, names.index(w["class_name"])] = 1
        waves.append(pipe.serve_gen(z=tf.constant(pipe.sample_z(i, None)), class_probs=oh, action_spectrogram=s, action_curve=c)["waveform"].numpy()[0])
    o = gc.score_waves(waves, wins, audio)["overall"]
    print(f"oracle at {fps:4.1f} fps: P {o['precision']:.2f} R {o['recall']:.2f} F1 {o['f1']:.2f}")

from foleygan_tf.evaluation.sync import detect_onsets
classes = set(gc.event_classes(wins)); sr = audio.sample_rate
trn = gc.trn_outputs(pipe, wins)
trn_guidance = (np.stack([t["action_spectrogram"] for t in trn]), np.stack([t["action_curve"] for t in trn]))
for label, guid in (("oracle 8 fps", gc.oracle_guidance(pipe, wins)), ("2TRN", trn_guidance)):
    d_ev, d_on = [], []
    for i, w in enumerate(wins):
        if w["class_name"] not in classes or not len(w["events"]):
            continue
        s, c = guid[0][i:i+1], guid[1][i:i+1]
        oh = np.zeros((1, len(names)), np.float32); oh[0, names.index(w["class_name"])] = 1
        x = pipe.serve_gen(z=tf.constant(pipe.sample_z(i, None)), class_probs=oh, action_spectrogram=s, action_curve=c)["waveform"].numpy()[0]
        on = detect_onsets(x, sr)
        ev = w["events"]
        if len(on):
            d_ev += list((on[None] - ev[:, None])[np.arange(len(ev)), np.argmin(np.abs(on[None] - ev[:, None]), axis=1)])
            d_on += list((on[None] - ev[:, None])[np.argmin(np.abs(on[None] - ev[:, None]), axis=0), np.arange(len(on))])
    d_ev, d_on = np.abs(np.array(d_ev)), np.array(d_on)
    bins = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 10]
    print(label, "events: |nearest onset − event| histogram", np.histogram(d_ev, bins)[0], "of", len(d_ev))
    print(label, "onsets: signed (onset − nearest event) histogram", np.histogram(d_on, [-10, -0.3, -0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2, 0.3, 10])[0], "of", len(d_on))
