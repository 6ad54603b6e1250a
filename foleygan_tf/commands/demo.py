"""``foleygan demo``: the main job on the bundled default.

With the bundled default models (``saved_models/default/``: the TRN and generator SavedModels), the
demo renders a short synthetic clip (a footstep scene at 29.97 fps, with its true sound kept as
``reference.mp4``) and sound-designs it: ``foley.mp4`` = the same video with the generated track,
plus ``foley.wav`` and ``foley.png`` (spectrogram with the predicted action curve). The models are
tiny-preset models trained for minutes on a CPU (saved_models/default/README.md): the job runs
end to end, the sound is lo-fi.

Without models (or with ``--codec``) it runs the paper's audio representation instead: a generated
natural-sounding clip through the spectrogram codec at the paper preset, every encoding of
Table III, with WAVs, PNGs and the round-trip quality.
"""

from __future__ import annotations

import os

from foleygan_tf.commands.generate import DEFAULT_MODELS

DEMO_CLASS = "footstep"


def register(subparsers, common):
    p = subparsers.add_parser("demo", help="run the main job on the bundled default (see `make demo`)",
                              description=__doc__)
    p.add_argument("--out", default="demo_output", help="output directory (default: demo_output)")
    p.add_argument("--models", default=DEFAULT_MODELS, help="SavedModels directory (default: saved_models/default)")
    p.add_argument("--codec", action="store_true", help="run the spectrogram-codec demo instead")
    p.add_argument("--preset", default="paper", help="preset of the codec demo (default: paper)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def _has_models(models: str) -> bool:
    return all(os.path.isfile(os.path.join(models, n, "saved_model.pb")) for n in ("trn", "generator"))


def run(args):
    os.makedirs(args.out, exist_ok=True)
    if not args.codec and _has_models(args.models):
        return run_foley(args)
    if not args.codec:
        print(f"No bundled default models in {args.models}: running the spectrogram-codec demo "
              f"(paper §IV-B-1) on a generated 3 s clip instead.")
    return run_codec(args)


def run_foley(args):
    from fractions import Fraction

    from foleygan_tf.data.synth import ClipSpec, render_clip, write_mp4
    from foleygan_tf.evaluation.sync import detect_onsets, onset_scores
    from foleygan_tf.inference.pipeline import FoleyPipeline

    spec = ClipSpec(out_dir=args.out, cls=DEMO_CLASS, index=0, seed=args.seed, seconds=4.5,
                    fps=Fraction(30000, 1001), size=96)
    scene, frames, wave, _ = render_clip(spec)
    reference = os.path.join(args.out, "reference.mp4")
    write_mp4(reference, frames, spec.fps, wave)
    pipeline = FoleyPipeline.from_saved_models(args.models)
    out = os.path.join(args.out, "foley.mp4")
    result = pipeline.generate(reference, out, seed=args.seed, wav=True, plot=True)
    events = [k / float(spec.fps) for k in scene.events]
    from foleygan_tf.audio import load_audio

    generated = load_audio(result["wav"], pipeline.sample_rate)
    sync = onset_scores(events, detect_onsets(generated, pipeline.sample_rate))
    print(f"Sound-designed a {result['duration']:.2f} s {DEMO_CLASS} clip with the bundled default models "
          f"({args.models}): predicted class {result['class_name']}, {result['windows']} window(s), "
          f"{result['seconds']:.1f} s.")
    print(f"Onsets of the generated track vs the {len(events)} seen footsteps (±100 ms): "
          f"F1 {sync['f1']:.2f}, precision {sync['precision']:.2f}, recall {sync['recall']:.2f}.")
    print(f"Wrote {reference} (true sound), {result['output']}, {result['wav']}, {result['plot']}")
    return 0


def run_codec(args):
    import json

    from tqdm import tqdm

    from foleygan_tf.audio import SpectrogramCodec, natural_test_signal, write_wav
    from foleygan_tf.audio.plots import plot_image_channels
    from foleygan_tf.audio.quality import round_trip_report
    from foleygan_tf.config import ENCODINGS, get_preset

    cfg = get_preset(args.preset)
    wave = natural_test_signal(cfg.audio.sample_rate, cfg.audio.clip_seconds, args.seed)
    write_wav(os.path.join(args.out, "input.wav"), wave, cfg.audio.sample_rate)
    summary = {}
    for encoding in tqdm(ENCODINGS, desc="encodings", unit="enc"):
        report = round_trip_report(SpectrogramCodec(cfg.audio, encoding), wave)
        write_wav(os.path.join(args.out, f"decoded_{encoding}.wav"), report["decoded"], cfg.audio.sample_rate)
        plot_image_channels(report["image"], os.path.join(args.out, f"image_{encoding}.png"),
                            f"{encoding} — preset {cfg.name}", cfg.audio.sample_rate, cfg.audio.clip_seconds)
        summary[encoding] = {k: round(report[k], 4) for k in ("snr_db", "spectral_convergence", "image_min", "image_max")}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump({"preset": cfg.name, "round_trip": summary}, f, indent=2)
    print(f"{'encoding':<9}{'SNR dB':>9}{'spec. conv.':>13}   (preset {cfg.name}, "
          f"{cfg.audio.image_size}×{cfg.audio.image_size}×3 at {cfg.audio.sample_rate} Hz)")
    for encoding, r in summary.items():
        print(f"{encoding:<9}{r['snr_db']:>9.1f}{r['spectral_convergence']:>13.4f}")
    print(f"WAVs, PNGs and summary.json written to {os.path.abspath(args.out)}")
    return 0
