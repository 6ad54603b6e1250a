import numpy as np, tensorflow as tf, sys, dataclasses
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.audio import SpectrogramCodec
from foleygan_tf.config import AudioConfig
from foleygan_tf.inference.postfilter import lowpass_taps, apply_fir
pipe = FoleyPipeline.from_saved_models(sys.argv[1])
wins = gc.load_windows(sys.argv[2], "test")
audio = AudioConfig(**pipe.gen_meta["config"]["audio"])
names = pipe.class_names
imgs, gw = [], []
for i, w in enumerate(wins):
    t = {k: v.numpy() for k, v in pipe.serve_trn(frames=tf.constant(w["frames"][None]), fps=tf.constant([w["fps"]], tf.float32)).items()}
    oh = np.zeros((1, 12), np.float32); oh[0, names.index(w["class_name"])] = 1
    g = pipe.serve_gen(z=tf.constant(pipe.sample_z(i, None)), class_probs=oh, action_spectrogram=t["action_spectrogram"], action_curve=t["action_curve"])
    print([ (k, v.shape) for k, v in g.items()]) if i == 0 else None
    imgs.append(g["spectrogram"].numpy()[0] if "spectrogram" in g else g["image"].numpy()[0]); gw.append(g["waveform"].numpy()[0])
imgs = np.stack(imgs)
taps = lowpass_taps(512)
def score(waves, label):
    s = gc.score_waves(waves, wins, audio)["overall"]
    print(f"{label:24s} P {s['precision']:.2f} R {s['recall']:.2f} F1 {s['f1']:.2f} r {s['event_correlation']:.2f}", flush=True)
score(gw, "served")
for it in (0, 16, 64, 200):
    c = SpectrogramCodec(dataclasses.replace(audio, lms_refine_iters=it))
    score([apply_fir(x, taps) for x in c.decode(imgs).numpy()], f"lms refine {it}")
for it in (32, 200):
    c = SpectrogramCodec(dataclasses.replace(audio, griffin_lim_iters=it))
    mag = c._linear_magnitude(tf.square(tf.constant(0.0)))  if False else None
    im2 = imgs.copy(); im2[..., 1] = 0.0   # zero phase seed
    c2 = SpectrogramCodec(dataclasses.replace(audio, lms_refine_iters=it))
    score([apply_fir(x, taps) for x in c2.decode(im2).numpy()], f"GL zero-phase seed {it}")
