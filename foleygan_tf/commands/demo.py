"""``foleygan demo``: the main job on the bundled default.

With the bundled default models (``saved_models/default/``: the TRN and generator SavedModels), the
demo sound-designs the bundled example video ``examples/footsteps.mp4`` (a 6 s synthetic footstep
scene at 29.97 fps made by ``foleygan synth-data --sound-bank``; its own track is the true sound, and
``examples/footsteps.json`` lists the seen footsteps) and writes ``out/demo.mp4`` = the same video
with the generated track, plus ``out/demo.wav`` and ``out/demo.png`` (spectrogram with the predicted
action curve), then scores the generated onsets against the seen events (±100 ms). The models are
``compact``-preset models (2.8 kHz audio) trained on a CPU (saved_models/default/README.md): the
job runs end to end, the sound is lo-fi. ``--video`` foleys another clip instead (its sidecar
``<stem>.json``, if any, is used for the sync score).

Without models (or with ``--codec``) it runs the paper's audio representation instead: a generated
natural-sounding clip through the spectrogram codec at the paper preset, every encoding of
Table III, with WAVs, PNGs and the round-trip quality.
"""

from __future__ import annotations

import json
import os

from foleygan_tf.commands.generate import DEFAULT_MODELS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE_VIDEO = os.path.join(REPO, "examples", "footsteps.mp4")


def register(subparsers, common):
    p = subparsers.add_parser("demo", help="run the main job on the bundled default (see `make demo`)",
                              description=__doc__)
    p.add_argument("--out", default="out", help="output directory (default: out)")
    p.add_argument("--models", default=DEFAULT_MODELS, help="SavedModels directory (default: saved_models/default)")
    p.add_argument("--video", default=EXAMPLE_VIDEO, help="video to sound-design (default: examples/footsteps.mp4)")
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


def _seen_events(video: str) -> list[float] | None:
    """Event times (s) from the synth-data sidecar ``<stem>.json`` beside ``video``, if there is one."""
    sidecar = os.path.splitext(video)[0] + ".json"
    if not os.path.isfile(sidecar):
        return None
    with open(sidecar) as f:
        return [float(t) for t in json.load(f).get("events", [])]


def run_foley(args):
    from foleygan_tf.audio import load_audio
    from foleygan_tf.cli import UserError
    from foleygan_tf.evaluation.sync import detect_onsets, onset_scores
    from foleygan_tf.inference.pipeline import FoleyPipeline

    if not os.path.isfile(args.video):
        raise UserError(f"{args.video}: no such video (the demo's example lives in examples/)")
    pipeline = FoleyPipeline.from_saved_models(args.models)
    out = os.path.join(args.out, "demo.mp4")
    result = pipeline.generate(args.video, out, seed=args.seed, wav=True, plot=True)
    print(f"Sound-designed {args.video} ({result['duration']:.2f} s) with the models in {args.models}: "
          f"predicted class {result['class_name']}, {result['windows']} window(s), {result['seconds']:.1f} s.")
    events = _seen_events(args.video)
    if events:
        generated = load_audio(result["wav"], pipeline.sample_rate)
        sync = onset_scores(events, detect_onsets(generated, pipeline.sample_rate))
        print(f"Onsets of the generated track vs the {len(events)} seen events (±100 ms): "
              f"F1 {sync['f1']:.2f}, precision {sync['precision']:.2f}, recall {sync['recall']:.2f}.")
    print(f"Wrote {result['output']} (the video with the generated track), {result['wav']}, {result['plot']}")
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
