"""How high do P_act's peaks reach on clips the 2TRN never saw, against the targets G learnt from?

The bundled recipe trains G with ``gan.guidance_source="audio_onsets"``: its P_act in training is
the audio-onset 2TRN's *target*, ``1/C + (1 − 1/C)·w`` (``audio.onsets.onset_weights_to_pact``),
so G learns where an onset goes from peaks of that height. At generation P_act comes from the
trained 2TRN; where its peaks fall short of the targets G leaves events silent. This diagnostic
runs a TRN SavedModel over the windows of prepared shards and compares, over the windows where a
sound starts (the target reaches half its range), the mean per-window maximum of P_act with that
of the target, and their ratio around chance, ``(target peak − 1/C) / (P_act peak − 1/C)``: the
``trn.pact_gain`` that would put the mean peak back on the target's scale
(``models.trn.stretch_pact``). Run it on clips outside the TRN's training split — a dataset of
another ``synth-data --seed`` — never on the windows a result is reported on.

``python -m research.sync.pact_calibration TRN_SAVED_MODEL SHARDS_DIR [--split train,test] [--json OUT]``
"""

from __future__ import annotations

import numpy as np

__all__ = ["peak_ratio", "pact_calibration", "format_pact_calibration"]


def peak_ratio(p_acts, targets, num_classes: int) -> dict:
    """Per-window maxima of P_act and of its target (lists of ``[P]`` arrays, pairs of one window
    each) over the windows whose target reaches ``(1/C + 1) / 2``: ``windows``, ``pact_peak``,
    ``target_peak`` (means) and ``ratio`` (around ``1/C``; ``None`` without such windows or when
    P_act never rises above chance)."""
    chance = 1.0 / num_classes
    rows = [(float(np.max(p)), float(np.max(t))) for p, t in zip(p_acts, targets)
            if len(t) and np.max(t) >= (chance + 1.0) / 2]
    if not rows:
        return {"windows": 0, "pact_peak": None, "target_peak": None, "ratio": None}
    pact_peak, target_peak = (float(np.mean(v)) for v in zip(*rows))
    rise = pact_peak - chance
    return {"windows": len(rows), "pact_peak": pact_peak, "target_peak": target_peak,
            "ratio": (target_peak - chance) / rise if rise > 1e-6 else None}


def pact_calibration(serve, windows, num_classes: int, sample_rate: int) -> dict:
    """:func:`peak_ratio` of ``serve`` (a TRN ``serving_default``: frames + fps → ``p_act``) on
    ``windows`` (``guidance_check.load_windows``), against their audio-onset targets."""
    import tensorflow as tf

    from research.sync.guidance_check import oracle_p_act

    p_acts = [serve(frames=tf.constant(w["frames"][None]), fps=tf.constant([w["fps"]], tf.float32))["p_act"]
              .numpy()[0] for w in windows]
    return {**peak_ratio(p_acts, oracle_p_act(windows, sample_rate, num_classes), num_classes),
            "all_windows": len(windows)}


def format_pact_calibration(result: dict) -> str:
    if not result["windows"]:
        return f"no window with an onset among {result['all_windows']}"
    ratio = "—" if result["ratio"] is None else f"{result['ratio']:.2f}"
    return (f"{result['windows']} of {result['all_windows']} windows with an onset: mean peak of P_act "
            f"{result['pact_peak']:.3f}, of its target {result['target_peak']:.3f}; ratio around chance {ratio}")


def main(argv=None) -> int:
    from foleygan_tf.cli import quiet_tensorflow

    quiet_tensorflow()
    import argparse

    import tensorflow as tf

    from foleygan_tf.inference.exports import saved_model_metadata
    from research.sync.guidance_check import load_windows, report

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("trn_dir", metavar="TRN_SAVED_MODEL")
    p.add_argument("shards", metavar="SHARDS_DIR")
    p.add_argument("--split", default="train,test", help="comma-separated splits of SHARDS_DIR (default: both)")
    p.add_argument("--json")
    args = p.parse_args(argv)
    try:
        windows = [w for s in args.split.split(",") if s.strip() for w in load_windows(args.shards, s.strip())]
    except (ValueError, FileNotFoundError) as e:
        p.error(str(e))
    try:   # OSError: no SavedModel at all; ValueError: a SavedModel without a foleygan metadata asset
        loaded = tf.saved_model.load(args.trn_dir)
        meta = saved_model_metadata(loaded, args.trn_dir)
    except (OSError, ValueError):
        meta = {}
    if meta.get("block") != "trn":
        p.error(f"{args.trn_dir}: not a TRN SavedModel (`foleygan export trn`)")
    result = pact_calibration(loaded.signatures["serving_default"], windows, int(meta["num_classes"]),
                              int(meta["sample_rate"]))
    report(format_pact_calibration(result), result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
