"""usage: edge_norm.py MODELS SHARDS — does the fade-in of the first ISTFT frames cost onset F1?

G's images of the test windows (2TRN guidance) decoded by the codec as exported, and the same
waves divided by the overlap-added squared Hann window actually present at each sample (floored at
10 % of the steady value) — the exact inverse at the clip edges, where
``inverse_stft_window_fn``'s steady-state normalisation attenuates the first 3/4 frame."""
import sys, numpy as np, tensorflow as tf, json
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.audio import SpectrogramCodec
from foleygan_tf.config import AudioConfig
from foleygan_tf.inference.postfilter import lowpass_taps, apply_fir
pipe = FoleyPipeline.from_saved_models(sys.argv[1]); wins = gc.load_windows(sys.argv[2], "test")
audio = AudioConfig(**pipe.gen_meta["config"]["audio"]); names = pipe.class_names
codec = SpectrogramCodec(audio)
pf = pipe.gen_meta["post_filter"]; taps = lowpass_taps(int(pf["length"]), float(pf["cutoff_nyquist"]))
trn = gc.trn_outputs(pipe, wins)
ts = np.stack([t["action_spectrogram"] for t in trn]); tc = np.stack([t["action_curve"] for t in trn])
ims = []
for i, w in enumerate(wins):
    oh = np.zeros((1, len(names)), np.float32); oh[0, names.index(w["class_name"])] = 1
    ims.append(pipe.serve_gen(z=tf.constant(pipe.sample_z(i, None)), class_probs=oh, action_spectrogram=ts[i:i+1], action_curve=tc[i:i+1])["spectrogram"].numpy()[0])
ims = np.stack(ims)
base = codec.decode(tf.constant(ims)).numpy()
# exact edge normalisation: divide by the overlap-added squared window actually present
L, H, F = audio.frame_length, audio.frame_step, codec.num_frames
win = tf.signal.hann_window(L).numpy()
env = np.zeros(codec.clip_samples + L)
for f in range(F): env[f * H: f * H + L] += win ** 2
steady = env[L: L + H].mean()
gain = np.ones(codec.clip_samples)
n = min(codec.clip_samples, len(env))
gain[:n] = steady / np.maximum(env[:n], steady * 0.1)
fixed = base * gain[None]
for name, waves in (("codec", base), ("edge-normalised", fixed)):
    waves = [apply_fir(x.astype(np.float32), taps) for x in waves]
    s = gc.score_waves(waves, wins, audio)["overall"]
    print(f"{name:16s} P {s['precision']:.2f} R {s['recall']:.2f} F1 {s['f1']:.2f}")
