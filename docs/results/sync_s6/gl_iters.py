"""usage: gl_iters.py MODELS SHARDS [ITERS,…] — guided onset F1 of G's images (2TRN guidance) decoded with
0/16/32/64/128 Griffin-Lim refinement iterations (the export uses audio.lms_refine_iters)."""
import dataclasses, sys
import numpy as np, tensorflow as tf
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.audio import SpectrogramCodec
from foleygan_tf.config import AudioConfig
from foleygan_tf.inference.postfilter import lowpass_taps, apply_fir

pipe = FoleyPipeline.from_saved_models(sys.argv[1]); wins = gc.load_windows(sys.argv[2], "test")
audio = AudioConfig(**pipe.gen_meta["config"]["audio"]); names = pipe.class_names
pf = pipe.gen_meta["post_filter"]; taps = lowpass_taps(int(pf["length"]), float(pf["cutoff_nyquist"]))
ims = []
for i, (w, t) in enumerate(zip(wins, gc.trn_outputs(pipe, wins))):
    oh = np.zeros((1, len(names)), np.float32); oh[0, names.index(w["class_name"])] = 1
    ims.append(pipe.serve_gen(z=tf.constant(pipe.sample_z(i, None)), class_probs=oh, action_spectrogram=t["action_spectrogram"][None], action_curve=t["action_curve"][None])["spectrogram"].numpy()[0])
ims = np.stack(ims)
print("export decodes with lms_refine_iters =", audio.lms_refine_iters)
for it in ([int(x) for x in sys.argv[3].split(",")] if len(sys.argv) > 3 else (0, 16, 32, 64, 128)):
    codec = SpectrogramCodec(dataclasses.replace(audio, lms_refine_iters=it))
    waves = [apply_fir(x.astype(np.float32), taps) for x in codec.decode(tf.constant(ims)).numpy()]
    o = gc.score_waves(waves, wins, audio)["overall"]
    print(f"{it:4d} iterations: P {o['precision']:.2f} R {o['recall']:.2f} F1 {o['f1']:.2f}", flush=True)
