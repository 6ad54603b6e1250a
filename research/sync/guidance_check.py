"""What limits the onset sync of a models directory: the generator or the TRN's guidance?

``foleygan evaluate`` measures the product's sync (guidance variants ``normal`` / ``off`` /
``swapped`` of :mod:`foleygan_tf.evaluation.guidance_variants`, pooled onset P/R/F1). This
diagnostic runs the same variants through the exported pipeline (``FoleyPipeline``'s
``serve_trn`` / ``serve_gen``; P_act of the TRN export → ``guidance_inputs``) and adds what tells
the generator's share from the TRN's:

* mode ``oracle`` (on request) — the guidance a perfect audio-onset 2TRN would give: P_act =
  ``onset_weights_to_pact(pair_onset_weights(real audio))``, through the same action spectrogram;
* ``pact_onsets`` — P_act's own peaks (≥ :data:`PACT_ONSET_THRESHOLD`) scored as onsets, what the
  2TRN hands G before G renders it, and ``pact_alignment`` (``action_sync.pact_event_alignment``);
* per mode a threshold-free ``event_correlation`` (onset envelope vs a Gaussian event train),
  the pass-band spectral flatness and the RMS, and the same numbers for the real audio (is the
  metric itself sound at this sample rate?) and the flatness of white noise.

Windows are numpy dicts (:func:`load_windows` of prepared shards, or made up in tests). Same z
(``seed + i`` for window ``i``) and class (the MTRN's prediction, or the label with
``class_source="label"``) in every mode. Onsets are scored on each window's real content against
its events, pooled per class and over the event classes.

``python -m research.sync.guidance_check MODELS_DIR SHARDS_DIR [--oracle] [--class-source label]
[--json OUT]``
"""

from __future__ import annotations

import dataclasses

import numpy as np

from foleygan_tf.evaluation.guidance_variants import VARIANTS

__all__ = ["MODES", "ORACLE", "PACT_ONSET_THRESHOLD", "load_windows", "guidance_check", "format_guidance_check",
           "score_waves", "event_classes", "flatness_band", "oracle_p_act", "pact_onset_times", "event_correlation",
           "report"]

MODES = VARIANTS
ORACLE = "oracle"
# P_act level a local maximum must reach to count as a predicted onset (P_act of the audio-onset
# 2TRN sits near 1/C off the events and near 1 on them)
PACT_ONSET_THRESHOLD = 0.3


def load_windows(shards_dir: str, split: str = "test", limit: int | None = None) -> list[dict]:
    """The windows of ``split`` as numpy dicts: ``frames`` uint8 [T, S, S, 3], ``fps``, ``wave``
    [N], ``label``, ``class_name``, ``events`` (valid times, s), ``has_events``, ``clip_id``,
    ``valid_seconds``."""
    from foleygan_tf.data.pipeline import example_dataset

    out = []
    for ex in example_dataset(shards_dir, split, training=False):
        n = int(ex["num_frames"])
        ev = ex["events"].numpy()
        out.append({
            "frames": ex["frames"].numpy()[:n], "fps": float(ex["fps"]), "wave": ex["wave"].numpy(),
            "label": int(ex["label"]), "class_name": ex["class_name"].numpy().decode(),
            "events": ev[ev >= 0].astype(np.float64), "has_events": bool(ex["has_events"]),
            "clip_id": ex["clip_id"].numpy().decode(), "valid_seconds": float(ex["valid_seconds"]),
        })
        if limit is not None and len(out) >= limit:
            break
    return out


def pact_onset_times(p_act, fps: float, threshold: float = PACT_ONSET_THRESHOLD) -> np.ndarray:
    """P_act [P] read as an onset detector: the pair times ``τ_t = (t + 0.5) / fps`` of its local
    maxima (``p[t] ≥ p[t−1]``, ``p[t] > p[t+1]``) that reach ``threshold`` — seconds, sorted.
    Scored against the events this bounds what a generator that only follows P_act can reach."""
    p = np.asarray(p_act, np.float64).reshape(-1)
    left = np.concatenate([[-np.inf], p[:-1]])
    right = np.concatenate([p[1:], [-np.inf]])
    peaks = np.flatnonzero((p >= left) & (p > right) & (p >= threshold))
    return (peaks + 0.5) / float(fps)


def event_correlation(wave, sample_rate: int, events, sigma: float = 0.05) -> float | None:
    """Pearson r between the onset envelope of ``wave`` [N] and the event train
    ``Σ_e exp(−(t − e)² / 2σ²)`` on the envelope's frames; ``None`` without events or for a
    constant envelope. Threshold-free: onset F1 counts every spurious peak of a noisy envelope, r
    shows whether the loudness *rises at the events* at all."""
    from foleygan_tf.audio.onsets import onset_envelope

    ev = np.asarray(events, np.float64).reshape(-1)
    if len(ev) == 0:
        return None
    env, rate = onset_envelope(np.asarray(wave, np.float32), sample_rate)
    t = np.arange(len(env)) / rate
    train = np.exp(-0.5 * ((t[:, None] - ev[None, :]) / sigma) ** 2).sum(axis=1)
    a, b = env - env.mean(), train - train.mean()
    den = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return float(np.dot(a, b) / den) if den > 1e-12 else None


def _seconds(wave, w, sample_rate) -> float:
    """The real content of window ``w`` (s): its ``valid_seconds``, at most the wave's length."""
    full = len(wave) / sample_rate
    return min(full, w["valid_seconds"] or full)


def _score_waves(waves, windows, sample_rate, frame_length, hop, window, band) -> list[dict]:
    from foleygan_tf.audio.onsets import SILENCE_RMS, detect_onsets, onset_scores
    from foleygan_tf.evaluation.audio_checks import rms, spectral_flatness

    rows = []
    for wave, w in zip(waves, windows):
        seconds = _seconds(wave, w, sample_rate)
        wave = np.asarray(wave, np.float32)[: int(round(seconds * sample_rate))]
        level = rms(wave)
        est = detect_onsets(wave, sample_rate)
        ev = w["events"][w["events"] < seconds]
        s = onset_scores(ev, est, window)
        loud = level >= SILENCE_RMS
        rows.append({"num_matched": s["num_matched"], "num_estimated": s["num_estimated"],
                     "num_reference": s["num_reference"], "rms": level, "seconds": seconds,
                     "flatness": spectral_flatness(wave, frame_length, hop, band) if loud else float("nan"),
                     "onsets": [float(x) for x in est],
                     "event_r": event_correlation(wave, sample_rate, ev) if loud else None})
    return rows


def _pool(items: list[dict]) -> dict:
    """Pooled P/R/F1 (summed counts) + onsets per second, median flatness, mean RMS and r."""
    from foleygan_tf.audio.onsets import pooled_onsets

    flat = [i["flatness"] for i in items if np.isfinite(i["flatness"])]
    rs = [i["event_r"] for i in items if i.get("event_r") is not None]
    pooled = pooled_onsets(items)
    return {"windows": len(items), **pooled,
            "onsets_per_second": pooled["num_estimated"] / max(1e-9, sum(i["seconds"] for i in items)),
            "spectral_flatness": float(np.median(flat)) if flat else float("nan"),
            "rms": float(np.mean([i["rms"] for i in items])) if items else float("nan"),
            "event_correlation": float(np.mean(rs)) if rs else float("nan")}


def _summarise(rows, windows, impulsive) -> dict:
    by_class: dict = {}
    for r, w in zip(rows, windows):
        by_class.setdefault(w["class_name"], []).append(r)
    per_class = {c: _pool(items) for c, items in sorted(by_class.items())}
    overall = _pool([r for r, w in zip(rows, windows) if w["class_name"] in impulsive])
    overall["mean_class_f1"] = (float(np.mean([per_class[c]["f1"] for c in impulsive]))
                                if impulsive else float("nan"))
    overall["spectral_flatness_all"] = _pool(rows)["spectral_flatness"]
    return {"overall": overall, "per_class": per_class}


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
    outputs them); ``windows``: :func:`load_windows`; ``audio``: an ``AudioConfig`` or its dict;
    ``window``: onset tolerance (default ±100 ms); ``band``: flatness band as a fraction of
    Nyquist (default: the pass band of the default low-pass post-filter)."""
    from foleygan_tf.audio.onsets import ONSET_WINDOW_S
    from foleygan_tf.inference.postfilter import DEFAULT_CUTOFF

    audio = audio if isinstance(audio, dict) else dataclasses.asdict(audio)
    window = ONSET_WINDOW_S if window is None else float(window)
    band = flatness_band({"kind": "lowpass", "cutoff_nyquist": DEFAULT_CUTOFF}) if band is None else float(band)
    rows = _score_waves(waves, windows, int(audio["sample_rate"]), int(audio["frame_length"]),
                        int(audio["frame_step"]), window, band)
    return _summarise(rows, windows, event_classes(windows))


def oracle_p_act(windows, sample_rate: int, num_classes: int) -> list[np.ndarray]:
    """Per window the P_act a perfect audio-onset 2TRN would give ([T − 1] each): the pair target
    of its real audio on the 2TRN's output scale."""
    from foleygan_tf.audio.onsets import onset_weights_to_pact, pair_onset_weights

    return [onset_weights_to_pact(pair_onset_weights(w["wave"], w["fps"], max(len(w["frames"]), 2) - 1,
                                                     sample_rate), num_classes).numpy() for w in windows]


def guidance_check(pipeline, shards_dir: str | None = None, *, windows: list[dict] | None = None,
                   modes=MODES, split: str = "test", seed: int = 0, truncation: float | None = None,
                   class_source: str = "mtrn", window: float | None = None, limit: int | None = None,
                   pact_alignment: bool = True, keep_waves: bool = False) -> dict:
    """Run the pipeline in ``modes`` over held-out windows and score sync and noisiness.

    Args:
      pipeline: a ``FoleyPipeline``, or a models directory (``saved_models/default``).
      shards_dir: prepared shards (``windows`` from :func:`load_windows` may be given instead).
      modes: subset of :data:`MODES`, plus :data:`ORACLE` on request.
      seed: z of window i is ``sample_z(seed + i)`` in every mode; also the swap's seed.
      class_source: ``"mtrn"`` (the pipeline's prediction) or ``"label"`` (the true class).
      window: onset matching tolerance in s (default ±100 ms).
      limit: at most this many windows.
      pact_alignment: add ``action_sync.pact_event_alignment`` and ``pact_onsets`` of the TRN's P_act.
      keep_waves: also return the generated waves (``waves[mode]`` list of arrays).

    Returns:
      ``{"windows", "event_classes", "sample_rate", "modes": {mode: {"overall", "per_class"}},
      "real": {...}, "white_noise_flatness", "flatness_band_nyquist", "pact_alignment"?,
      "pact_onsets"?, "class_accuracy"}``; ``overall`` pools the event (impulsive) classes:
      ``precision``, ``recall``, ``f1``, ``mean_class_f1``, ``spectral_flatness`` (median over
      windows), ``rms``; ``per_class`` has every class.
    """
    import tensorflow as tf

    from foleygan_tf.audio.onsets import ONSET_WINDOW_S
    from foleygan_tf.config import AudioConfig
    from foleygan_tf.evaluation.audio_checks import spectral_flatness
    from foleygan_tf.evaluation.guidance_variants import guidance_inputs, variant_guidance
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
    audio = AudioConfig(**pipeline.gen_meta["config"]["audio"])
    sr, fl, hop = pipeline.sample_rate, audio.frame_length, audio.frame_step
    band = flatness_band(pipeline.gen_meta.get("post_filter") or {})
    names = pipeline.class_names
    impulsive = event_classes(windows)

    trn = [{k: v.numpy()[0] for k, v in pipeline.serve_trn(
        frames=tf.constant(w["frames"][None]), fps=tf.constant([w["fps"]], tf.float32)).items()} for w in windows]
    predicted = [int(np.argmax(t["class_probs"])) for t in trn]
    classes = predicted if class_source == "mtrn" else [names.index(w["class_name"]) for w in windows]
    p_act = [t["p_act"].astype(np.float32) for t in trn]
    fps = np.array([w["fps"] for w in windows], np.float32)
    groups = [w["label"] for w in windows]          # as `foleygan evaluate` swaps: the same derangement

    zs = np.concatenate([pipeline.sample_z(seed + i, truncation) for i in range(len(windows))])
    onehot = np.zeros((len(windows), len(names)), np.float32)
    onehot[np.arange(len(windows)), classes] = 1.0
    result = {"windows": len(windows), "event_classes": impulsive, "sample_rate": sr,
              "onset_window_s": window, "class_source": class_source,
              "class_accuracy": float(np.mean([names[p] == w["class_name"] for p, w in zip(predicted, windows)])),
              "modes": {}}
    waves_out = {}
    for mode in modes:
        if mode == ORACLE:
            p_use, fps_use = oracle_p_act(windows, sr, len(names)), fps
        else:
            p_use, fps_use = variant_guidance(mode, p_act, fps, groups, seed)
        waves = []
        for b in range(0, len(windows), 8):
            sl = slice(b, b + 8)
            s_act, curve = guidance_inputs(p_use[sl], fps_use[sl], audio)
            got = pipeline.serve_gen(z=tf.constant(zs[sl]), class_probs=tf.constant(onehot[sl]),
                                     action_spectrogram=tf.constant(s_act), action_curve=tf.constant(curve))
            waves.extend(got["waveform"].numpy())
        result["modes"][mode] = _summarise(_score_waves(waves, windows, sr, fl, hop, window, band), windows,
                                           impulsive)
        if keep_waves:
            waves_out[mode] = waves
    real_rows = _score_waves([w["wave"] for w in windows], windows, sr, fl, hop, window, band)
    result["real"] = _summarise(real_rows, windows, impulsive)
    noise = np.random.default_rng(seed).standard_normal(len(windows[0]["wave"]))
    result["white_noise_flatness"] = spectral_flatness(noise, fl, hop, band)
    result["flatness_band_nyquist"] = band
    if pact_alignment:
        from foleygan_tf.evaluation.action_sync import pact_event_alignment

        scored = [i for i, w in enumerate(windows) if w["has_events"]]
        if scored:
            al = pact_event_alignment([p_act[i] for i in scored], [windows[i]["events"] for i in scored],
                                      [windows[i]["fps"] for i in scored], num_shuffles=200, seed=seed)
            result["pact_alignment"] = {k: al[k] for k in (
                "clips", "events", "peak_hit_rate", "chance_hit_rate", "p_value", "event_recall",
                "chance_event_recall", "correlation", "shuffled_correlation")}
            result["pact_alignment"]["mean_p_act"] = float(np.mean(np.concatenate(p_act)))
        result["pact_onsets"] = _pact_onset_scores(p_act, windows, impulsive, window)
    if keep_waves:
        result["waves"] = waves_out
    return result


def _pact_onset_scores(p_act, windows, impulsive, window) -> dict:
    """P_act's own peaks (:func:`pact_onset_times`) scored as onsets against the events, pooled
    per event class and overall: what the 2TRN hands G, before G renders it."""
    from foleygan_tf.audio.onsets import onset_scores, pooled_onsets

    by_class: dict = {}
    for p, w in zip(p_act, windows):
        if w["class_name"] not in impulsive:
            continue
        est = pact_onset_times(p, w["fps"])
        s = onset_scores(w["events"], est[est < (w["valid_seconds"] or np.inf)], window)
        by_class.setdefault(w["class_name"], []).append(s)
    return {"overall": pooled_onsets([i for v in by_class.values() for i in v]),
            "per_class": {c: pooled_onsets(v) for c, v in sorted(by_class.items())}}


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
        o = result["pact_onsets"]["overall"]
        lines.append(f"P_act peaks ≥ {PACT_ONSET_THRESHOLD:g} as onsets: P {o['precision']:.2f} "
                     f"R {o['recall']:.2f} F1 {o['f1']:.2f}; per class F1 "
                     + ", ".join(f"{c} {v['f1']:.2f}" for c, v in result["pact_onsets"]["per_class"].items()))
    return "\n".join(lines)


def report(text: str, result: dict, json_path: str | None) -> None:
    """Print a diagnostic's summary and, with ``json_path``, write its JSON-ready result there."""
    from foleygan_tf.atomic import write_json

    print(text)
    if json_path:
        write_json(json_path, result)


def main(argv=None) -> int:
    """``python -m research.sync.guidance_check MODELS_DIR SHARDS_DIR [--oracle] [--json OUT]``."""
    from foleygan_tf.cli import quiet_tensorflow

    quiet_tensorflow()
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
