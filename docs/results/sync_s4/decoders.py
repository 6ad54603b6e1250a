"""usage: decoders.py MODELS SHARDS — onset F1 of real / TRN-guided / oracle / guidance-off images
decoded (a) with the codec (Griffin-Lim seeded by the LMS phase), (b) with a PGHI phase (phase from
the magnitudes alone), (c) PGHI + 16 Griffin-Lim iterations, and after re-imposing on the codec's
audio (d) its own 128-sample RMS envelope or (e) the image's frame energies; (f) decoded with the
image's own phase channel and no Griffin-Lim (``training.gan.phase_decoding_codec``), and for the
real images the ``gan.waveform_stft_loss`` value of that decode against the real audio."""
import heapq, numpy as np, tensorflow as tf, sys
from scipy.ndimage import uniform_filter1d
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.inference.pipeline import FoleyPipeline
from foleygan_tf.audio import SpectrogramCodec
from foleygan_tf.config import AudioConfig
from foleygan_tf.inference.postfilter import lowpass_taps, apply_fir

def pghi(mag, hop, M, lam, tol=1e-5, rng=None):
    """mag [T, K] (frames × bins 0..K-1 of an M-point STFT) → phase [T, K] of tf.signal.stft convention."""
    s = np.log(np.maximum(mag, 1e-30))
    T, K = mag.shape
    ds_n = np.gradient(s, axis=0)           # per frame
    ds_k = np.gradient(s, axis=1)           # per bin
    dphi_bin = -lam / (hop * M) * ds_n      # phase change per bin step
    dphi_frame = hop * M / lam * ds_k + 2 * np.pi * hop * np.arange(K)[None] / M   # per frame step
    phase = np.zeros((T, K)); done = np.zeros((T, K), bool)
    small = s < s.max() + np.log(tol)
    rng = rng or np.random.default_rng(0)
    phase[small] = rng.uniform(-np.pi, np.pi, small.sum()); done[small] = True
    heap = []
    while not done.all():
        if not heap:
            idx = np.unravel_index(np.argmax(np.where(done, -np.inf, s)), s.shape)
            done[idx] = True; phase[idx] = 0.0; heapq.heappush(heap, (-s[idx], idx))
        while heap:
            _, (n, k) = heapq.heappop(heap)
            for dn, dk in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                m, j = n + dn, k + dk
                if 0 <= m < T and 0 <= j < K and not done[m, j]:
                    if dn: phase[m, j] = phase[n, k] + dn * 0.5 * (dphi_frame[n, k] + dphi_frame[m, j])
                    else: phase[m, j] = phase[n, k] + dk * 0.5 * (dphi_bin[n, k] + dphi_bin[m, j])
                    done[m, j] = True; heapq.heappush(heap, (-s[m, j], (m, j)))
    return phase + np.pi * np.arange(K)[None]   # X = (-1)^k V for a window starting at the frame start

if __name__ == "__main__":
    pipe = FoleyPipeline.from_saved_models(sys.argv[1]); wins = gc.load_windows(sys.argv[2], "test")
    audio = AudioConfig(**pipe.gen_meta["config"]["audio"]); names = pipe.class_names
    codec = SpectrogramCodec(audio); taps = lowpass_taps(512)
    L, a = audio.frame_length, audio.frame_step; lam = 0.25645 * L * L
    def mags(im):
        mel_power = tf.exp(2.0 * codec._unscale_log(tf.constant(im[..., 0])))
        return tf.sqrt(tf.maximum(mel_power @ codec._from_mel, 0.0) + 1e-12).numpy()
    def decode(im, mode, iters=16):
        mg = mags(im)
        if mode == "gl": return codec.decode(im).numpy()
        if mode == "own phase": return phase_codec.decode(im).numpy()
        ph = np.stack([pghi(m, a, L, lam) for m in mg]).astype(np.float32)
        if mode == "pghi":
            return codec.istft(tf.complex(mg * np.cos(ph), mg * np.sin(ph))).numpy()
        return codec._griffin_lim(tf.constant(mg), iters, initial_phase=tf.constant(ph)).numpy()
    def rms(x, n):
        return np.sqrt(uniform_filter1d(x.astype(np.float64) ** 2, n, mode="constant") + 1e-20)
    def image_env(im):
        e = np.exp(2.0 * codec._unscale_log(tf.constant(im[..., 0])).numpy()).sum(-1)   # [B, R] frame energy
        centers = np.arange(im.shape[1]) * audio.frame_step + audio.frame_length / 2
        n = np.arange(audio.clip_samples)
        return np.stack([np.sqrt(np.interp(n, centers[:codec.num_frames], x[:codec.num_frames])) for x in e])
    def reimpose(im, kind, short=32):
        waves = codec.decode(im).numpy()
        if kind == "self":
            return np.stack([x * rms(x, 128) / rms(x, short) for x in waves])
        env = image_env(im)
        return np.stack([x * uniform_filter1d(env[i] / rms(x, short), 8) for i, x in enumerate(waves)])
    def score(waves, label):
        waves = [apply_fir(x.astype(np.float32), taps) for x in waves]
        s = gc.score_waves(waves, wins, audio)["overall"]
        print(f"{label:30s} P {s['precision']:.2f} R {s['recall']:.2f} F1 {s['f1']:.2f} r {s['event_correlation']:.2f} flat {s['spectral_flatness']:.2f}", flush=True)
    trn = [{k: v.numpy()[0] for k, v in pipe.serve_trn(frames=tf.constant(w["frames"][None]), fps=tf.constant([w["fps"]], tf.float32)).items()} for w in wins]
    ts = np.stack([t["action_spectrogram"] for t in trn]); tc = np.stack([t["action_curve"] for t in trn])
    os_, oc = gc.oracle_guidance(pipe, wins)
    zero = np.repeat(gc.zero_action_spectrogram(pipe, wins[0]["fps"])[None], len(wins), 0)
    def gen(s, c):
        out = []
        for i, w in enumerate(wins):
            oh = np.zeros((1, 12), np.float32); oh[0, names.index(w["class_name"])] = 1
            out.append(pipe.serve_gen(z=tf.constant(pipe.sample_z(i, None)), class_probs=oh, action_spectrogram=s[i:i+1], action_curve=c[i:i+1])["spectrogram"].numpy()[0])
        return np.stack(out)
    from foleygan_tf.training.gan import phase_decoding_codec, waveform_stft_l1
    phase_codec = phase_decoding_codec(audio)
    real_waves = np.stack([w["wave"] for w in wins]).astype(np.float32)
    print("waveform_stft_l1(real image decoded with its own phase, real audio) = %.3f"
          % float(waveform_stft_l1(codec.encode(real_waves), real_waves, phase_codec)), flush=True)
    real_im = codec.encode(np.stack([w["wave"] for w in wins]).astype(np.float32)).numpy()
    for name, im in (("real", real_im), ("trn", gen(ts, tc)), ("oracle", gen(os_, oc)), ("off", gen(zero, np.zeros_like(tc)))):
        for mode in ("gl", "pghi", "pghi+gl16", "own phase"):
            score(decode(im, mode), f"{name} {mode}")
        for kind in ("self", "image"):
            score(reimpose(im, kind), f"{name} envelope re-imposed ({kind})")
