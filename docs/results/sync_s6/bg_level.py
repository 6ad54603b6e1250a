"""usage: bg_level.py MODELS SHARDS — medians over the event-class test windows of G's (2TRN
guidance) and the real images' loudness envelope (ch0 averaged over frequency; −1 = codec floor) in
the first 4 frames, in gaps (> 150 ms from any event) and at the events; then the real audio decoded
from its own image by the export's codec (and post-filter) and the real wave post-filtered, scored
like G's guided waves (onset P/R/F1; start_cost.py scores with the start cut off) with the number
of windows whose onset envelope peaks in the first 150 ms (of those whose first event is after 0.25 s)."""
import sys
import numpy as np, tensorflow as tf
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.audio import SpectrogramCodec
from foleygan_tf.config import AudioConfig

pipe = FoleyPipeline.from_saved_models(sys.argv[1]); wins = gc.load_windows(sys.argv[2], "test")
audio = AudioConfig(**pipe.gen_meta["config"]["audio"]); codec = SpectrogramCodec(audio)
names = pipe.class_names; classes = set(gc.event_classes(wins))
hop_s = audio.frame_step / audio.sample_rate
fake, real_imgs, fake_waves = [], [], []
for i, (w, t) in enumerate(zip(wins, gc.trn_outputs(pipe, wins))):
    oh = np.zeros((1, len(names)), np.float32); oh[0, names.index(w["class_name"])] = 1
    got = pipe.serve_gen(z=tf.constant(pipe.sample_z(i, None)), class_probs=oh, action_spectrogram=t["action_spectrogram"][None], action_curve=t["action_curve"][None])
    fake.append(got["spectrogram"].numpy()[0, ..., 0])
    fake_waves.append(got["waveform"].numpy()[0])
    real_imgs.append(codec.encode(tf.constant(w["wave"][None, :codec.clip_samples])).numpy()[0])
def stats(ims):
    first, gap, ev = [], [], []
    for im, w in zip(ims, wins):
        if w["class_name"] not in classes or not len(w["events"]):
            continue
        times = np.arange(im.shape[0]) * hop_s
        d = np.min(np.abs(times[:, None] - w["events"][None]), axis=1)
        env = im.mean(axis=1)
        first.append(env[:4].mean()); gap.append(env[(d > 0.15) & (times > 0.1)].mean()); ev.append(env[d < 0.05].max())
    return np.median(first), np.median(gap), np.median(ev)
for n, ims in (("G", fake), ("real", [im[..., 0] for im in real_imgs])):
    f, g, e = stats(ims)
    print(f"{n:5s} mean ch0: first 4 frames {f:+.3f}  gaps {g:+.3f}  event peak {e:+.3f}")

from foleygan_tf.evaluation.sync import onset_envelope
from foleygan_tf.inference.postfilter import lowpass_taps, apply_fir
pf = pipe.gen_meta["post_filter"]; taps = lowpass_taps(int(pf["length"]), float(pf["cutoff_nyquist"]))
sr = audio.sample_rate
def dec(ims):
    out = []
    for b in range(0, len(ims), 8):
        out.extend(codec.decode(tf.constant(np.stack(ims[b:b+8]))).numpy())
    return [apply_fir(x.astype(np.float32), taps) for x in out]
def score(waves):
    o = gc.score_waves(waves, wins, audio)["overall"]
    late = [(x, w) for x, w in zip(waves, wins) if w["class_name"] in classes and len(w["events"]) and w["events"].min() > 0.25]
    starts = 0
    for x, w in late:
        env, rate = onset_envelope(x, sr); starts += int(np.argmax(env) < 0.15 * rate)
    return f"P {o['precision']:.2f} R {o['recall']:.2f} F1 {o['f1']:.2f}; envelope max in first 150 ms: {starts}/{len(late)}"
print(f"G as exported (guided):    {score(fake_waves)}")
print(f"real decoded by the codec: {score(dec(real_imgs))}")
print(f"real wave post-filtered:   {score([apply_fir(np.asarray(w['wave'], np.float32), taps) for w in wins])}")
