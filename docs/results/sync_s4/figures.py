"""usage: figures.py MODELS SHARDS [OUT_DIR] — frame_envelopes.png and onset_envelopes.png:
8 test windows with events, G fed the oracle guidance (the audio-onset target of the real audio).

* frame_envelopes: real vs generated log-magnitude images, and their loudness envelopes over the
  image's frames with the guidance curve (red lines: the sidecar events);
* onset_envelopes: the sync metric's onset envelope (10 ms hop) of the real and the generated
  audio, with the detected onsets (dotted)."""
import os
import sys

import matplotlib
import numpy as np
import tensorflow as tf

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from foleygan_tf.audio import SpectrogramCodec  # noqa: E402
from foleygan_tf.config import AudioConfig  # noqa: E402
from foleygan_tf.evaluation import guidance_check as gc  # noqa: E402
from foleygan_tf.evaluation.sync import detect_onsets, onset_envelope  # noqa: E402
from foleygan_tf.inference.pipeline import FoleyPipeline  # noqa: E402

pipe = FoleyPipeline.from_saved_models(sys.argv[1])
wins = gc.load_windows(sys.argv[2], "test")
out_dir = sys.argv[3] if len(sys.argv) > 3 else "."
audio = AudioConfig(**pipe.gen_meta["config"]["audio"])
codec = SpectrogramCodec(audio)
sel = [i for i, w in enumerate(wins) if w["has_events"] and len(w["events"])][::5][:8]
s_act, curve = gc.oracle_guidance(pipe, wins)
generated = {}
for i in sel:
    onehot = np.zeros((1, len(pipe.class_names)), np.float32)
    onehot[0, pipe.class_names.index(wins[i]["class_name"])] = 1
    generated[i] = pipe.serve_gen(z=tf.constant(pipe.sample_z(i, None)), class_probs=onehot,
                                  action_spectrogram=s_act[i:i + 1], action_curve=curve[i:i + 1])

fig, ax = plt.subplots(len(sel), 3, figsize=(15, 2.2 * len(sel)))
t = (np.arange(audio.image_size) * audio.frame_step + audio.frame_length / 2) / audio.sample_rate
span = audio.image_size * audio.frame_step / audio.sample_rate
for r, i in enumerate(sel):
    w = wins[i]
    g = generated[i]["spectrogram"].numpy()[0]
    real = codec.encode(w["wave"].astype(np.float32)).numpy()
    for c, (im, title) in enumerate(((real, "real"), (g, "G oracle"))):
        ax[r, c].imshow(im[..., 0].T, origin="lower", aspect="auto", extent=[0, span, 0, audio.image_size],
                        vmin=-1, vmax=1)
        for e in w["events"]:
            ax[r, c].axvline(e, color="r", lw=0.8)
        ax[r, c].set_title(f"{w['class_name']} {title}", fontsize=8)
    ax[r, 2].plot(t, real[..., 0].mean(-1), label="real env")
    ax[r, 2].plot(t, g[..., 0].mean(-1), label="G env")
    ax[r, 2].plot(t, curve[i], label="curve")
    for e in w["events"]:
        ax[r, 2].axvline(e, color="r", lw=0.8)
ax[0, 2].legend(fontsize=6)
fig.tight_layout()
fig.savefig(os.path.join(out_dir, "frame_envelopes.png"), dpi=70)

fig, ax = plt.subplots(len(sel), 1, figsize=(12, 1.8 * len(sel)))
for r, i in enumerate(sel):
    w = wins[i]
    for x, label, color in ((w["wave"], "real", "C0"), (generated[i]["waveform"].numpy()[0], "G", "C1")):
        env, rate = onset_envelope(x, audio.sample_rate)
        ax[r].plot(np.arange(len(env)) / rate, env, color, label=label, lw=0.8)
        for o in detect_onsets(x, audio.sample_rate):
            ax[r].axvline(o, color=color, ls=":", lw=1)
    for e in w["events"]:
        ax[r].axvline(e, color="r", lw=1.2)
    ax[r].set_title(w["class_name"], fontsize=8)
ax[0].legend(fontsize=6)
fig.tight_layout()
fig.savefig(os.path.join(out_dir, "onset_envelopes.png"), dpi=70)
