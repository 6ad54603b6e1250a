import numpy as np, tensorflow as tf, sys, dataclasses
from scipy.ndimage import uniform_filter1d, median_filter
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.audio import SpectrogramCodec
from foleygan_tf.config import AudioConfig
from foleygan_tf.inference.postfilter import lowpass_taps, apply_fir
pipe = FoleyPipeline.from_saved_models(sys.argv[1]); wins = gc.load_windows(sys.argv[2], "test")
audio = AudioConfig(**pipe.gen_meta["config"]["audio"]); names = pipe.class_names
imgs = []
for i, w in enumerate(wins):
    t = {k: v.numpy() for k, v in pipe.serve_trn(frames=tf.constant(w["frames"][None]), fps=tf.constant([w["fps"]], tf.float32)).items()}
    oh = np.zeros((1, 12), np.float32); oh[0, names.index(w["class_name"])] = 1
    g = pipe.serve_gen(z=tf.constant(pipe.sample_z(i, None)), class_probs=oh, action_spectrogram=t["action_spectrogram"], action_curve=t["action_curve"])
    imgs.append(g["spectrogram"].numpy()[0])
imgs = np.stack(imgs); taps = lowpass_taps(512)
def score(im, label, it=16):
    c = SpectrogramCodec(dataclasses.replace(audio, lms_refine_iters=it))
    waves = [apply_fir(x, taps) for x in c.decode(im).numpy()]
    s = gc.score_waves(waves, wins, audio)["overall"]
    print(f"{label:40s} P {s['precision']:.2f} R {s['recall']:.2f} F1 {s['f1']:.2f} r {s['event_correlation']:.2f}", flush=True)
score(imgs, "as generated")
for k in (2, 3):
    im = imgs.copy(); im[..., 0] = uniform_filter1d(imgs[..., 0], k, axis=1); score(im, f"ch0 time mean {k}")
im = imgs.copy(); im[..., 0] = median_filter(imgs[..., 0], size=(1, 3, 1)); score(im, "ch0 time median 3")
im = imgs.copy(); im[..., 0] = median_filter(imgs[..., 0], size=(1, 3, 3)); score(im, "ch0 median 3x3")
im = imgs.copy(); im[..., 0] = median_filter(imgs[..., 0], size=(1, 3, 3)); score(im, "ch0 median 3x3, GL 100", 100)
im = imgs.copy(); im[..., 0] = uniform_filter1d(imgs[..., 0], 8, axis=2); score(im, "ch0 freq mean 8")
