"""``foleygan generate VIDEO... -o OUT``: Foley for silent videos (``FoleyPipeline``).

``-o`` names the output file for one video (``OUT.mp4``; an existing directory, or a path ending
in ``/``, gets ``OUT/<stem>.mp4``) and a directory for several (``OUT/<stem>.mp4`` each, plus
``<stem>.wav`` with ``--wav`` and ``<stem>.png`` with ``--plot``). ``--models DIR`` names the
exported models (default: the bundled ``saved_models/default``). A progress bar runs over the
videos, and a result line per video names its class timeline (``footstep``, ``rain → thunder (2 shots)``);
an unreadable video is reported in one line (the others are still processed; exit status 2).
"""

from __future__ import annotations


def register(subparsers, common) -> None:
    from foleygan_tf.cli import add_verbose_option
    from foleygan_tf.commands.options import add_models_option

    p = subparsers.add_parser(
        "generate", help="generate synchronised sound for silent videos",
        description="Generate a sound track for each VIDEO (class per shot and action timing from the TRN, "
                    "audio from the generator) and write a copy of the video with the track muxed in (video stream "
                    "copied, not re-encoded, where the container allows). The models' own config is used.")
    p.add_argument("videos", nargs="+", metavar="VIDEO")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output video (one input) or directory (several inputs, or an existing directory)")
    add_models_option(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the latent z (default 0)")
    p.add_argument("--truncation", type=float, default=None,
                   help="truncation threshold of z (default: the model's gan.truncation; <= 0: none)")
    p.add_argument("--class", dest="class_name", default=None, metavar="NAME",
                   help="condition the whole video on this class instead of the class predicted per shot")
    p.add_argument("--pre-roll", type=float, default=None, metavar="SECONDS",
                   help="lead-in generated before the first frame and cut away, so the track starts inside "
                        "its steady background (default 0.25; 0: none; docs/inference.md)")
    p.add_argument("--wav", action="store_true", help="also write the bare track as <stem>.wav")
    p.add_argument("--plot", action="store_true",
                   help="also write <stem>.png: the spectrogram with the predicted action curve over it and the "
                        "class timeline under it")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary lines")
    add_verbose_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from foleygan_tf.commands.options import require_exported, selected_models
    from foleygan_tf.inference.batch import generate_videos
    from foleygan_tf.progress import say

    (_, models_dir), = selected_models(args)
    require_exported(models_dir)
    done = generate_videos(models_dir, args.videos, args.output, seed=args.seed, truncation=args.truncation,
                           class_name=args.class_name, pre_roll=args.pre_roll, wav=args.wav, plot=args.plot,
                           progress=not args.quiet, report=None if args.quiet else say,
                           report_error=lambda line: say(line, file=sys.stderr))
    if done["failed"]:
        print(f"foleygan: {len(done['failed'])} of {len(args.videos)} video(s) failed", file=sys.stderr)
        return 2
    return 0
