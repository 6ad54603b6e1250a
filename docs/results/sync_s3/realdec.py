import numpy as np, tensorflow as tf, dataclasses
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.audio import SpectrogramCodec
from foleygan_tf.config import get_preset
from foleygan_tf.inference.postfilter import lowpass_taps, apply_fir
wins = gc.load_windows("build/dm24/shards", "test")
audio = get_preset("tiny").audio
codec = SpectrogramCodec(audio)
real = codec.encode(np.stack([w["wave"] for w in wins])).numpy()
taps = lowpass_taps(512)
def score(waves, label):
    s = gc.score_waves(waves, wins, audio)["overall"]
    print(f"{label:34s} P {s['precision']:.2f} R {s['recall']:.2f} F1 {s['f1']:.2f} r {s['event_correlation']:.2f}", flush=True)
score([apply_fir(x, taps) for x in codec.decode(real).numpy()], "real image, lms decode")
rng = np.random.default_rng(0)
for it in (0, 16, 100):
    im = real.copy(); im[..., 1] = rng.uniform(-1, 1, im[..., 1].shape)
    c = SpectrogramCodec(dataclasses.replace(audio, lms_refine_iters=it))
    score([apply_fir(x, taps) for x in c.decode(im).numpy()], f"real mag + random IF, refine {it}")
for it in (16, 100):
    im = real.copy(); im[..., 1] = 0
    c = SpectrogramCodec(dataclasses.replace(audio, lms_refine_iters=it))
    score([apply_fir(x, taps) for x in c.decode(im).numpy()], f"real mag + zero IF, refine {it}")
