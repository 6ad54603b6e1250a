"""Codec throughput: ``SpectrogramCodec`` encode + decode vs librosa ``stft`` + ``istft``.

Clips: ``natural_test_signal`` (seeds 0…batch−1). Identical STFT parameters (the preset's: paper = 44.1 kHz, 3 s clips, periodic Hann 1024, hop 256,
FFT 1024, no centring/end padding), the same batch of clips, in the same process. Ours is the
``stft`` encoding — STFT → log-magnitude/phase image → inverse scaling → ISTFT, batched in one
``tf.function``; librosa's is ``stft`` → ``istft`` on the ``[batch, samples]`` array (it does less:
no image scaling). The project's default ``lms`` encoding (mel warp + 32 Griffin-Lim refinement
iterations on decode) is timed too, for information.
"""

from __future__ import annotations

import numpy as np

from foleygan_tf.benchmarking.common import task_config, time_calls


def run(preset: str = "paper", *, batch: int = 16, repeats: int = 5, overrides=()) -> dict:
    import librosa
    import tensorflow as tf

    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.audio.test_signals import natural_test_signal

    audio = task_config(preset, overrides).audio

    waves = np.stack([natural_test_signal(audio.sample_rate, audio.clip_seconds, seed=k)[: audio.clip_samples]
                      for k in range(batch)]).astype(np.float32)
    tw = tf.constant(waves)
    result = {"preset": preset, "batch": batch,
              "settings": {"sample_rate": audio.sample_rate, "clip_seconds": audio.clip_seconds,
                           "window": f"hann {audio.frame_length}", "hop": audio.frame_step,
                           "fft": audio.fft_length, "center": False}}

    def ours_for(encoding, cls=SpectrogramCodec):
        codec = cls(audio, encoding=encoding)
        round_trip = tf.function(lambda w: codec.decode(codec.encode(w)))
        return lambda: round_trip(tw).numpy()

    win = audio.frame_length

    def librosa_round_trip():
        spec = librosa.stft(waves, n_fft=audio.fft_length, hop_length=audio.frame_step, win_length=win,
                            window="hann", center=False)
        return librosa.istft(spec, hop_length=audio.frame_step, win_length=win, window="hann",
                             center=False, length=audio.clip_samples)

    t_ours = time_calls(ours_for("stft"), repeats=repeats, warmup=1)
    t_lib = time_calls(librosa_round_trip, repeats=repeats, warmup=1)
    t_lms = time_calls(ours_for("lms"), repeats=max(2, repeats // 2), warmup=1)
    result["ours_stft"] = {"clips_s": round(batch / t_ours["best_s"], 1), **t_ours}
    result["librosa"] = {"clips_s": round(batch / t_lib["best_s"], 1), "version": librosa.__version__, **t_lib}
    result["ours_lms"] = {"clips_s": round(batch / t_lms["best_s"], 1), **t_lms,
                          "griffin_lim_iterations": audio.lms_refine_iters}
    result["speedup_vs_librosa"] = round(t_lib["best_s"] / t_ours["best_s"], 2)
    result["cpu_speedup_vs_librosa"] = round(t_lib["cpu_s"] / t_ours["cpu_s"], 2) if t_ours["cpu_s"] else None
    # the op profile of our round trip: where its time goes
    from foleygan_tf.benchmarking.profile import op_breakdown

    traced = ours_for("stft")
    traced()
    result["profile"] = op_breakdown(traced, top=8)
    # both are (near-)exact inverses: round-trip SNR against the input over the interior
    from foleygan_tf.audio.quality import snr_db

    edge = 2 * audio.frame_length
    result["round_trip_snr_db"] = {"ours_stft": round(snr_db(waves, ours_for("stft")(), edge), 1),
                                   "librosa": round(snr_db(waves, librosa_round_trip(), edge), 1)}
    return result
