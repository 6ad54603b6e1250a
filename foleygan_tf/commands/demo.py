"""``foleygan demo``: the main job on the bundled default.

With the bundled default models (``saved_models/default/``: the TRN and generator SavedModels), the
demo sound-designs the bundled example video ``examples/footsteps.mp4`` (a 6 s synthetic footstep
scene at 29.97 fps made by ``foleygan synth-data --sound-bank``; its own track is the true sound, and
``examples/footsteps.json`` lists the seen footsteps) and writes ``out/demo.mp4`` = the same video
with the generated track, plus ``out/demo.wav`` and ``out/demo.png`` (spectrogram with the predicted
action curve), then scores the generated onsets against the seen events (±100 ms). The models are
``bundled``-preset models (2.8 kHz audio) trained on a CPU (saved_models/default/README.md): the
job runs end to end, the sound is lo-fi. ``--video`` foleys another clip instead (its sidecar
``<stem>.json``, if any, is used for the sync score).

Without models (or with ``--codec``) it runs the paper's audio representation instead: a generated
natural-sounding clip through the spectrogram codec at the paper preset, every encoding of
Table III, with WAVs, PNGs and the round-trip quality.
"""

from __future__ import annotations

import os

from foleygan_tf.commands.options import DEFAULT_MODELS, REPO_ROOT

EXAMPLE_VIDEO = os.path.join(REPO_ROOT, "examples", "footsteps.mp4")


def register(subparsers, common):
    p = subparsers.add_parser("demo", help="run the main job on the bundled default (see `make demo`)",
                              description=__doc__)
    p.add_argument("--out", default="out", help="output directory (default: out)")
    p.add_argument("--models", default=DEFAULT_MODELS, metavar="DIR",
                   help="exported models (default: saved_models/default)")
    p.add_argument("--video", default=EXAMPLE_VIDEO, help="video to sound-design (default: examples/footsteps.mp4)")
    p.add_argument("--codec", action="store_true", help="run the spectrogram-codec demo instead")
    p.add_argument("--preset", default="paper", help="preset of the codec demo (default: paper)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args):
    from foleygan_tf.commands.options import EXPORTED_PARTS

    has_models = all(os.path.isfile(os.path.join(args.models, n, "saved_model.pb")) for n in EXPORTED_PARTS)
    if not args.codec and has_models:
        return run_foley(args)
    if not args.codec:
        print(f"No bundled default models in {args.models}: running the spectrogram-codec demo "
              f"(paper §IV-B-1) on a generated 3 s clip instead.")
    return run_codec(args)


def run_foley(args):
    from foleygan_tf.inference.batch import foley_demo

    result = foley_demo(args.video, args.models, args.out, seed=args.seed)
    print(f"Sound-designed {args.video} ({result['duration']:.2f} s) with the models in {args.models}: "
          f"predicted class {result['class_name']}, {result['windows']} window(s), {result['seconds']:.1f} s.")
    if result["sync"] is not None:
        sync = result["sync"]
        print(f"Onsets of the generated track vs the {len(result['events'])} seen events (±100 ms): "
              f"F1 {sync['f1']:.2f}, precision {sync['precision']:.2f}, recall {sync['recall']:.2f}.")
    print(f"Wrote {result['output']} (the video with the generated track), {result['wav']}, {result['plot']}")
    return 0


def run_codec(args):
    from foleygan_tf.audio.quality import codec_demo

    summary = codec_demo(args.preset, args.out, args.seed)
    print(f"{'encoding':<9}{'SNR dB':>9}{'spec. conv.':>13}   (preset {summary['preset']}, "
          f"{summary['image_size']}×{summary['image_size']}×3 at {summary['sample_rate']} Hz)")
    for encoding, r in summary["round_trip"].items():
        print(f"{encoding:<9}{r['snr_db']:>9.1f}{r['spectral_convergence']:>13.4f}")
    print(f"WAVs, PNGs and summary.json written to {os.path.abspath(args.out)}")
    return 0
