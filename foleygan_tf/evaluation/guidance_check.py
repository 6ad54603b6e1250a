"""Does the visual guidance make the generated sound line up with the video? (issues #6, #7)

:func:`guidance_check` runs the exported pipeline (the TRN and generator SavedModels of
``foleygan export`` — ``FoleyPipeline``'s ``serve_trn`` / ``serve_gen``, no Keras model code) over
held-out windows of prepared shards (``foleygan prepare`` of ``synth-data`` clips, whose sidecar
event times are the ground truth) in up to three **modes**:

* ``normal``   — S_act and P_act (the R-step action curve) of each window's own frames;
* ``off``      — guidance off: P_act ≡ 0, i.e. S_act = the action spectrogram of an all-zero
  P_act (the codec's silence image, what the TRN export gives for a still video) and a zero curve;
* ``shuffled`` — S_act and curve of *another* window (a derangement, within the same class when
  the class has ≥ 2 windows, so the class stays right and only the timing is wrong);
* ``oracle`` (on request, not in :data:`MODES`) — the guidance a perfect audio-onset 2TRN would
  give: P_act = ``1/C + (1 − 1/C)·w`` with ``w`` the self-supervised pair target of the window's
  real audio (``data.pipeline.pair_onset_weights``), through the same action spectrogram. It
  separates what the generator loses from what the TRN loses.

Same z (``seed + i``) and class (the MTRN prediction, or the label with ``class_source="label"``)
in every mode, so the modes differ only in the guidance. Each window's waveform (decoded + ISTFT +
post-filter in the generator graph, at the model rate, not loudness-normalised) is scored:

* onsets (``evaluation.sync.detect_onsets``) vs the window's events within ±``window`` s
  (``onset_scores``), pooled per class (true positives / estimated / reference summed over the
  class's windows, then P/R/F1) and overall for the event classes;
* ``event_correlation``: mean Pearson r between the audio's onset envelope and a Gaussian event
  train (σ 50 ms) — :func:`event_correlation`, threshold-free;
* spectral flatness (:func:`passband_flatness`: ``audio_checks.spectral_flatness`` with the codec's
  frame/hop, on the bins below the post-filter's cut-off − 0.05 × Nyquist — the low-pass alone
  drives full-band flatness to ≈ 0 for any signal; median over windows), RMS loudness.

The same numbers for the **real** audio of the windows (mode ``real``: is the onset metric itself
sound at this sample rate?) and flatness of white noise are included as references; with
``pact_alignment`` (default on) the TRN's P_act vs the events (``action_sync``) as well, and
``pact_onsets``: P_act's own peaks (≥ 0.3) scored as onsets per class — what the 2TRN hands G.

Everything returned is JSON-ready. Other evaluation code (``foleygan evaluate``) can call
:func:`guidance_check` with a loaded :class:`~foleygan_tf.inference.pipeline.FoleyPipeline`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["MODES", "ORACLE", "load_windows", "guidance_check", "format_guidance_check", "passband_flatness",
           "pooled_onsets", "score_waves", "trn_outputs", "event_classes", "flatness_band", "oracle_guidance",
           "zero_action_spectrogram", "event_correlation", "report"]

MODES = ("normal", "off", "shuffled")
ORACLE = "oracle"


def load_windows(shards_dir: str, split: str = "test", limit: int | None = None) -> list[dict]:
    """The windows of ``split`` as numpy dicts: ``frames`` uint8 [T, S, S, 3], ``fps``, ``wave``
    [N], ``label``, ``class_name``, ``events`` (valid times, s), ``has_events``, ``clip_id``."""
    from foleygan_tf.data.pipeline import example_dataset

    out = []
    for ex in example_dataset(shards_dir, split, training=False):
        n = int(ex["num_frames"])
        ev = ex["events"].numpy()
        out.append({
            "frames": ex["frames"].numpy()[:n], "fps": float(ex["fps"]), "wave": ex["wave"].numpy(),
            "label": int(ex["label"]), "class_name": ex["class_name"].numpy().decode(),
            "events": ev[ev >= 0].astype(np.float64), "has_events": bool(ex["has_events"]),
            "clip_id": ex["clip_id"].numpy().decode(),
            "valid_seconds": float(ex["valid_seconds"]),
        })
        if limit is not None and len(out) >= limit:
            break
    return out


def _derangement(groups: list, rng) -> np.ndarray:
    """A permutation with no fixed point, within each group when the group has ≥ 2 members."""
    n = len(groups)
    perm = np.arange(n)
    singles = []
    for g in sorted(set(groups), key=str):
        idx = [i for i in range(n) if groups[i] == g]
        if len(idx) < 2:
            singles += idx
            continue
        shift = int(rng.integers(1, len(idx)))
        for a, b in zip(idx, np.roll(idx, -shift)):
            perm[a] = b
    if len(singles) >= 2:
        for a, b in zip(singles, np.roll(singles, -1)):
            perm[a] = b
    elif len(singles) == 1 and n > 1:  # swap the lone window with another one
        a = singles[0]
        b = (a + 1) % n
        perm[a], perm[b] = perm[b], a
    return perm


def pooled_onsets(items: list[dict]) -> dict:
    """P/R/F1 from the summed onset counts of ``evaluation.sync.onset_scores`` results."""
    tp = sum(i["num_matched"] for i in items)
    est = sum(i["num_estimated"] for i in items)
    ref = sum(i["num_reference"] for i in items)
    precision = tp / est if est else (1.0 if ref == 0 else 0.0)
    recall = tp / ref if ref else (1.0 if est == 0 else 0.0)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {"num_reference": ref, "num_estimated": est, "num_matched": tp,
            "precision": precision, "recall": recall, "f1": f1}


def _pool(items: list[dict]) -> dict:
    """P/R/F1 from summed counts (per-class pooling) + mean flatness/RMS."""
    flat = [i["flatness"] for i in items if np.isfinite(i["flatness"])]
    rs = [i["event_r"] for i in items if i.get("event_r") is not None]
    pooled = pooled_onsets(items)
    return {"windows": len(items), **pooled,
            "onsets_per_second": pooled["num_estimated"] / max(1e-9, sum(i["seconds"] for i in items)),
            "spectral_flatness": float(np.median(flat)) if flat else float("nan"),
            "rms": float(np.mean([i["rms"] for i in items])) if items else float("nan"),
            "event_correlation": float(np.mean(rs)) if rs else float("nan")}


def passband_flatness(wave, frame_length: int = 128, hop: int = 32, band: float = 1.0) -> float:
    """``audio_checks.spectral_flatness`` restricted to the FFT bins below ``band`` × Nyquist
    (frames with energy > 1e-3 of the loudest). The generator's post-filter is a low-pass at 0.75 ×
    Nyquist; its −74 dB stop band alone drives the full-band flatness of *any* signal to ≈ 0
    (white noise 0.57 → 0.02), so generated and reference audio are compared on the pass band."""
    w = np.asarray(wave, np.float64)
    if w.size < frame_length:
        raise ValueError(f"need at least {frame_length} samples, got {w.size}")
    frames = np.lib.stride_tricks.sliding_window_view(w, frame_length)[::hop] * np.hanning(frame_length)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-20
    top = max(2, int(np.floor(band * (power.shape[1] - 1))) + 1)
    power = power[:, 1:top]                                  # DC left out
    energy = power.sum(axis=1)
    keep = energy > 1e-3 * energy.max()
    gmean = np.exp(np.mean(np.log(power[keep]), axis=1))
    return float(np.mean(gmean / power[keep].mean(axis=1)))


def event_correlation(wave, sample_rate: int, events, sigma: float = 0.05) -> float | None:
    """Pearson r between the onset envelope of ``wave`` (``sync.onset_envelope``) and the event
    train ``Σ_e exp(−(t − e)² / 2σ²)`` on the envelope's frames; ``None`` without events or for a
    constant envelope. A threshold-free sync score: onset F1 counts every spurious peak of a noisy
    envelope, r shows whether the loudness *rises at the events* at all."""
    from foleygan_tf.evaluation.sync import onset_envelope

    ev = np.asarray(events, np.float64).reshape(-1)
    if len(ev) == 0:
        return None
    env, rate = onset_envelope(np.asarray(wave, np.float32), sample_rate)
    t = np.arange(len(env)) / rate
    train = np.exp(-0.5 * ((t[:, None] - ev[None, :]) / sigma) ** 2).sum(axis=1)
    a, b = env - env.mean(), train - train.mean()
    den = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return float(np.dot(a, b) / den) if den > 1e-12 else None


def _score_waves(waves, windows, sample_rate, frame_length, hop, window, band=1.0) -> list[dict]:
    from foleygan_tf.evaluation.audio_checks import SILENCE_RMS, rms
    from foleygan_tf.evaluation.sync import detect_onsets, onset_scores

    rows = []
    for wave, w in zip(waves, windows):
        seconds = min(len(wave) / sample_rate, w["valid_seconds"] or len(wave) / sample_rate)
        wave = np.asarray(wave, np.float32)[: int(round(seconds * sample_rate))]
        level = rms(wave)
        est = detect_onsets(wave, sample_rate) if level >= SILENCE_RMS else np.zeros(0)
        ev = w["events"][w["events"] < seconds]
        s = onset_scores(ev, est, window)
        rows.append({"num_matched": s["num_matched"], "num_estimated": s["num_estimated"],
                     "num_reference": s["num_reference"], "rms": level, "seconds": seconds,
                     "flatness": (passband_flatness(wave, frame_length, hop, band) if level >= SILENCE_RMS
                                  else float("nan")),
                     "onsets": [float(x) for x in est],
                     "event_r": event_correlation(wave, sample_rate, ev) if level >= SILENCE_RMS else None})
    return rows


def _summarise(rows, windows, impulsive) -> dict:
    by_class: dict = {}
    for r, w in zip(rows, windows):
        by_class.setdefault(w["class_name"], []).append(r)
    per_class = {c: _pool(items) for c, items in sorted(by_class.items())}
    event_rows = [r for r, w in zip(rows, windows) if w["class_name"] in impulsive]
    event_classes = [c for c in per_class if c in impulsive]
    overall = _pool(event_rows)
    overall["mean_class_f1"] = (float(np.mean([per_class[c]["f1"] for c in event_classes]))
                                if event_classes else float("nan"))
    overall["spectral_flatness_all"] = _pool(rows)["spectral_flatness"]
    return {"overall": overall, "per_class": per_class}


def trn_outputs(pipeline, windows) -> list[dict]:
    """The TRN SavedModel's outputs for each window (batch 1, numpy, batch axis dropped):
    ``class_probs`` [C], ``p_act`` [L], ``action_spectrogram`` [R, R, 3], ``action_curve`` [R]."""
    import tensorflow as tf

    out = []
    for w in windows:
        got = pipeline.serve_trn(frames=tf.constant(w["frames"][None]), fps=tf.constant([w["fps"]], tf.float32))
        out.append({k: v.numpy()[0] for k, v in got.items()})
    return out


def event_classes(windows) -> list[str]:
    """The classes scored for sync: those of the windows that have sidecar events (sorted)."""
    return sorted({w["class_name"] for w in windows if w["has_events"] and len(w["events"])})


def flatness_band(post_filter: dict) -> float:
    """Band (fraction of Nyquist) the flatness is measured on: the pass band of a low-pass
    post-filter (its export metadata) minus a 0.05 margin, for every signal alike; else all of it."""
    if post_filter.get("kind") == "lowpass":
        return min(1.0, float(post_filter["cutoff_nyquist"]) - 0.05)
    return 1.0


def score_waves(waves, windows, audio, *, window: float | None = None, band: float | None = None) -> dict:
    """Score one wave per window as :func:`guidance_check` scores a mode: ``{"overall",
    "per_class"}`` (``overall`` pools the windows' event classes).

    ``waves``: float arrays ``[N]`` at ``audio``'s sample rate (post-filtered, as the pipeline
    outputs them); ``windows``: :func:`load_windows`; ``audio``: an ``AudioConfig`` or its dict
    (an export's ``gen_meta["config"]["audio"]``); ``window``: onset tolerance (default ±100 ms);
    ``band``: flatness band as a fraction of Nyquist (default: the pass band of the default
    low-pass post-filter, as :func:`guidance_check` uses for exports with that filter)."""
    from foleygan_tf.evaluation.sync import ONSET_WINDOW_S
    from foleygan_tf.inference.postfilter import DEFAULT_CUTOFF

    audio = audio if isinstance(audio, dict) else dataclasses.asdict(audio)
    window = ONSET_WINDOW_S if window is None else float(window)
    band = flatness_band({"kind": "lowpass", "cutoff_nyquist": DEFAULT_CUTOFF}) if band is None else float(band)
    impulsive = event_classes(windows)
    rows = _score_waves(waves, windows, int(audio["sample_rate"]), int(audio["frame_length"]),
                        int(audio["frame_step"]), window, band)
    return _summarise(rows, windows, impulsive)


def guidance_check(pipeline, shards_dir: str | None = None, *, windows: list[dict] | None = None,
                   modes=MODES, split: str = "test", seed: int = 0, truncation: float | None = None,
                   class_source: str = "mtrn", window: float | None = None, limit: int | None = None,
                   pact_alignment: bool = True, keep_waves: bool = False) -> dict:
    """Run the pipeline in ``modes`` over held-out windows and score sync and noisiness.

    Args:
      pipeline: a :class:`FoleyPipeline`, or a models directory (``saved_models/default``).
      shards_dir: prepared shards (``windows`` from :func:`load_windows` may be given instead).
      modes: subset of :data:`MODES`, plus :data:`ORACLE` on request.
      seed: z of window i is ``sample_z(seed + i)`` in every mode.
      class_source: ``"mtrn"`` (the pipeline's prediction) or ``"label"`` (the true class).
      window: onset matching tolerance in s (default ``sync.ONSET_WINDOW_S`` = 0.1).
      limit: at most this many windows.
      pact_alignment: add ``action_sync.pact_event_alignment`` of the TRN's P_act.
      keep_waves: also return the generated waves (``waves[mode]`` list of arrays).

    Returns:
      ``{"windows", "event_classes", "sample_rate", "modes": {mode: {"overall", "per_class"}},
      "real": {...}, "white_noise_flatness", "flatness_band_nyquist", "pact_alignment"?,
      "pact_onsets"?, "class_accuracy"}``; ``overall``
      pools the event (impulsive) classes: ``precision``, ``recall``, ``f1``, ``mean_class_f1``,
      ``spectral_flatness`` (median over windows), ``rms``; ``per_class`` has every class.
    """
    import tensorflow as tf

    from foleygan_tf.evaluation.sync import ONSET_WINDOW_S
    from foleygan_tf.inference.pipeline import FoleyPipeline, check_frame_rate

    if not isinstance(pipeline, FoleyPipeline):
        pipeline = FoleyPipeline.from_saved_models(pipeline)
    unknown = set(modes) - set(MODES) - {ORACLE}
    if unknown:
        raise ValueError(f"unknown mode(s) {sorted(unknown)}; choose from {MODES + (ORACLE,)}")
    if class_source not in ("mtrn", "label"):
        raise ValueError(f"class_source must be 'mtrn' or 'label', got {class_source!r}")
    window = ONSET_WINDOW_S if window is None else float(window)
    if windows is None:
        if shards_dir is None:
            raise ValueError("give shards_dir or windows")
        windows = load_windows(shards_dir, split, limit)
    elif limit is not None:
        windows = windows[:limit]
    if not windows:
        raise ValueError("no windows to check")
    # the windows go to the TRN as they are: at another rate its P_act is not what G was trained on
    check_frame_rate([w["fps"] for w in windows], pipeline.trn_fps, shards_dir or "windows")
    audio = pipeline.gen_meta["config"]["audio"]
    sr, fl, hop = pipeline.sample_rate, int(audio["frame_length"]), int(audio["frame_step"])
    band = flatness_band(pipeline.gen_meta.get("post_filter") or {})
    names = pipeline.class_names
    impulsive = event_classes(windows)

    trn = trn_outputs(pipeline, windows)
    predicted = [int(np.argmax(t["class_probs"])) for t in trn]
    classes = predicted if class_source == "mtrn" else [names.index(w["class_name"]) for w in windows]
    s_act = np.stack([t["action_spectrogram"] for t in trn]).astype(np.float32)
    curve = np.stack([t["action_curve"] for t in trn]).astype(np.float32)

    guidance = {}
    if "normal" in modes:
        guidance["normal"] = (s_act, curve)
    if "off" in modes:
        zero_s = zero_action_spectrogram(pipeline, windows[0]["fps"])  # S_act of P_act ≡ 0
        guidance["off"] = (np.repeat(zero_s[None], len(windows), 0), np.zeros_like(curve))
    if "shuffled" in modes:
        perm = _derangement([w["class_name"] for w in windows], np.random.default_rng(seed))
        guidance["shuffled"] = (s_act[perm], curve[perm])
    if ORACLE in modes:
        guidance[ORACLE] = oracle_guidance(pipeline, windows)

    zs = np.concatenate([pipeline.sample_z(seed + i, truncation) for i in range(len(windows))])
    onehot = np.zeros((len(windows), len(names)), np.float32)
    onehot[np.arange(len(windows)), classes] = 1.0
    result = {"windows": len(windows), "event_classes": impulsive, "sample_rate": sr,
              "onset_window_s": window, "class_source": class_source,
              "class_accuracy": float(np.mean([names[p] == w["class_name"] for p, w in zip(predicted, windows)])),
              "modes": {}}
    waves_out = {}
    for mode in modes:
        s, c = guidance[mode]
        waves = []
        for b in range(0, len(windows), 8):
            sl = slice(b, b + 8)
            got = pipeline.serve_gen(z=tf.constant(zs[sl]), class_probs=tf.constant(onehot[sl]),
                                     action_spectrogram=tf.constant(s[sl]), action_curve=tf.constant(c[sl]))
            waves.extend(got["waveform"].numpy())
        rows = _score_waves(waves, windows, sr, fl, hop, window, band)
        result["modes"][mode] = _summarise(rows, windows, impulsive)
        if keep_waves:
            waves_out[mode] = waves
    real_rows = _score_waves([w["wave"] for w in windows], windows, sr, fl, hop, window, band)
    result["real"] = _summarise(real_rows, windows, impulsive)
    noise = np.random.default_rng(seed).standard_normal(len(windows[0]["wave"]))
    result["white_noise_flatness"] = passband_flatness(noise, fl, hop, band)
    result["flatness_band_nyquist"] = band
    if pact_alignment:
        from foleygan_tf.evaluation.action_sync import pact_event_alignment

        scored = [i for i, w in enumerate(windows) if w["has_events"]]
        if scored:
            al = pact_event_alignment([trn[i]["p_act"] for i in scored], [windows[i]["events"] for i in scored],
                                      [windows[i]["fps"] for i in scored], num_shuffles=200, seed=seed)
            result["pact_alignment"] = {k: al[k] for k in (
                "clips", "events", "peak_hit_rate", "chance_hit_rate", "p_value", "event_recall",
                "chance_event_recall", "correlation", "shuffled_correlation")}
            result["pact_alignment"]["mean_p_act"] = float(np.mean(np.concatenate([t["p_act"] for t in trn])))
        result["pact_onsets"] = _pact_onset_scores(trn, windows, impulsive, window)
    if keep_waves:
        result["waves"] = waves_out
    return result


def _pact_onset_scores(trn, windows, impulsive, window) -> dict:
    """P_act's own peaks (``action_sync.pact_onset_times``) scored as onsets against the events,
    pooled per event class and overall: what the 2TRN hands G, before G renders it."""
    from foleygan_tf.evaluation.action_sync import pact_onset_times
    from foleygan_tf.evaluation.sync import onset_scores

    by_class: dict = {}
    for t, w in zip(trn, windows):
        if w["class_name"] not in impulsive:
            continue
        est = pact_onset_times(t["p_act"], w["fps"])
        s = onset_scores(w["events"], est[est < (w["valid_seconds"] or np.inf)], window)
        by_class.setdefault(w["class_name"], []).append(s)
    return {"overall": pooled_onsets([i for v in by_class.values() for i in v]),
            "per_class": {c: pooled_onsets(v) for c, v in sorted(by_class.items())}}


def oracle_guidance(pipeline, windows) -> tuple[np.ndarray, np.ndarray]:
    """S_act [N, R, R, 3] and action curve [N, R] of the audio-onset target of each window's real
    audio on the TRN's output scale (mode ``oracle``)."""
    from foleygan_tf.config import AudioConfig
    from foleygan_tf.data.pipeline import onset_weights_to_pact, pair_onset_weights
    from foleygan_tf.models.action_spectrogram import action_spectrogram

    audio = AudioConfig(**pipeline.gen_meta["config"]["audio"])
    images, curves = [], []
    for w in windows:
        pairs = max(len(w["frames"]), 2) - 1
        p = onset_weights_to_pact(pair_onset_weights(w["wave"], w["fps"], pairs, audio.sample_rate),
                                  len(pipeline.class_names)).numpy()
        s, c = action_spectrogram(p[None].astype(np.float32), w["fps"], audio, with_steps=True)
        images.append(s.numpy()[0])
        curves.append(c.numpy()[0])
    return np.stack(images).astype(np.float32), np.stack(curves).astype(np.float32)


def zero_action_spectrogram(pipeline, fps) -> np.ndarray:
    """S_act of an all-zero P_act for the pipeline's audio geometry ([R, R, 3])."""
    from foleygan_tf.config import AudioConfig
    from foleygan_tf.models.action_spectrogram import action_spectrogram

    audio = AudioConfig(**pipeline.gen_meta["config"]["audio"])
    return action_spectrogram(np.zeros([1, 2], np.float32), float(fps), audio).numpy()[0].astype(np.float32)


def format_guidance_check(result: dict) -> str:
    """A plain-text table of :func:`guidance_check`'s result."""
    lines = []
    modes = list(result["modes"]) + ["real"]
    get = lambda m: result["modes"][m] if m != "real" else result["real"]  # noqa: E731
    lines.append(f"{result['windows']} windows, onset tolerance ±{result['onset_window_s'] * 1000:.0f} ms, "
                 f"MTRN class accuracy {result['class_accuracy']:.3f}, white-noise flatness "
                 f"{result['white_noise_flatness']:.2f}")
    lines.append(f"{'mode':10s} {'P':>5s} {'R':>5s} {'F1':>5s} {'clsF1':>6s} {'r_ev':>5s} {'flat':>5s} "
                 f"{'flat*':>5s} {'rms':>7s}")
    for m in modes:
        o = get(m)["overall"]
        lines.append(f"{m:10s} {o['precision']:5.2f} {o['recall']:5.2f} {o['f1']:5.2f} {o['mean_class_f1']:6.2f} "
                     f"{o['event_correlation']:5.2f} {o['spectral_flatness']:5.2f} {o['spectral_flatness_all']:5.2f} "
                     f"{o['rms']:7.4f}")
    classes = sorted({c for m in modes for c in get(m)["per_class"]})
    lines.append("per-class F1 [r_ev] (event classes) / onsets per s (others): " + " | ".join(modes))
    for c in classes:
        vals = []
        for m in modes:
            pc = get(m)["per_class"].get(c)
            if pc is None:
                vals.append("   -")
            elif c in result["event_classes"]:
                vals.append(f"{pc['f1']:5.2f} [{pc['event_correlation']:+.2f}]")
            else:
                vals.append(f"{pc['onsets_per_second']:4.1f}/s")
        lines.append(f"  {c:10s} " + "  ".join(vals))
    if "pact_alignment" in result:
        a = result["pact_alignment"]
        lines.append(f"P_act: peak hit rate {a['peak_hit_rate']:.3f} vs chance {a['chance_hit_rate']:.3f} "
                     f"(p={a['p_value']:.3f}), corr {a['correlation']:.3f} vs shifted "
                     f"{a['shuffled_correlation']:.3f}, mean P_act {a['mean_p_act']:.3f}")
    if "pact_onsets" in result:
        po = result["pact_onsets"]
        o = po["overall"]
        from foleygan_tf.evaluation.action_sync import PACT_ONSET_THRESHOLD

        lines.append(f"P_act peaks ≥ {PACT_ONSET_THRESHOLD:g} as onsets: P {o['precision']:.2f} "
                     f"R {o['recall']:.2f} F1 {o['f1']:.2f}; "
                     "per class F1 " + ", ".join(f"{c} {v['f1']:.2f}" for c, v in po["per_class"].items()))
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python -m foleygan_tf.evaluation.guidance_check MODELS_DIR SHARDS_DIR [--json OUT]``."""
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models_dir")
    p.add_argument("shards_dir")
    p.add_argument("--split", default="test")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int)
    p.add_argument("--class-source", default="mtrn", choices=("mtrn", "label"))
    p.add_argument("--oracle", action="store_true",
                   help="also run G on the audio-onset target of each window (a perfect 2TRN's guidance)")
    p.add_argument("--json")
    args = p.parse_args(argv)
    result = guidance_check(args.models_dir, args.shards_dir, split=args.split, seed=args.seed,
                            limit=args.limit, class_source=args.class_source,
                            modes=MODES + ((ORACLE,) if args.oracle else ()))
    report(format_guidance_check(result), result, args.json)
    return 0


def report(text: str, result: dict, json_path: str | None) -> None:
    """Print a check's summary and, with ``json_path``, write its JSON-ready result there (the
    evaluation modules' command lines)."""
    import json

    print(text)
    if json_path:
        with open(json_path, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
