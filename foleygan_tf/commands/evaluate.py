"""``foleygan evaluate``: onset sync of generators on the held-out windows of prepared shards, and
with a retrieval classifier the paper's Tables I–III and Fig. 6; or, with ``--videos``, generated
sound scored against the sound recorded with real videos.

``foleygan evaluate --shards SHARDS_DIR [--models DIR | --model NAME=DIR …] [--variants normal,off,swapped]
[--classifier CLF_RUN] [--out OUT_DIR] [--trn TRN] [--limit N] [--seed S]``

A models DIR is an exported models directory (``DIR/generator`` [+ ``DIR/trn``], default
``saved_models/default``) or a ``foleygan train gan`` run directory (its EMA generator). Prints one
line per row (pooled onset P/R/F1, …); with ``--out`` writes ``OUT_DIR/report.md``,
``report.json``, ``rainbowgrams.png`` and ``spectrograms.png`` (:mod:`foleygan_tf.evaluation.report`;
docs/evaluation.md). With ``--classifier``, ``--preset/--set`` give the classifier metrics'
settings (``eval.*``: NDB K and α, IS splits; default: the classifier's config) and the preset's
audio geometry must match the classifier's.

``foleygan evaluate --videos DIR_OR_FILE… [--models DIR | --model NAME=DIR …] [--out OUT_DIR] [--seed S]``

Each video (with its own audio track) gets a track from each exported model, as ``foleygan
generate`` makes it, scored against the video's own sound with the two baselines (mismatched
reference, frame differences), envelope correlation, bandwidth and length match: a line per video
and model, the means, and with ``--out`` ``OUT_DIR/report.md`` and ``report.json``
(:mod:`foleygan_tf.evaluation.real_video`; docs/evaluation.md "Videos with their own sound").
"""

from __future__ import annotations

import os


def register(subparsers, common) -> None:
    from foleygan_tf.commands.options import add_models_option
    from foleygan_tf.evaluation.guidance_variants import VARIANTS

    p = subparsers.add_parser(
        "evaluate", parents=[common], help="onset sync (and IS / FID / NDB / retrieval accuracy) of generators",
        description="Generate one clip per held-out test window (class, S_act and P_act of the window) with each "
                    "model and score its onsets against the window's sidecar event times (pooled and per-clip "
                    "onset P/R/F1, AP, offsets, AV offset); with --classifier also IS, FID, NDB and retrieval "
                    "accuracy of the generated and real clips (the paper's Tables I–III). With --videos instead: "
                    "each model's track for each video (as `foleygan generate` makes it) scored against the video's "
                    "own sound — onset P/R/F1 and AP, a mismatched reference, a frame-difference baseline, envelope "
                    "correlation, bandwidth and length match.")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--shards", metavar="SHARDS_DIR", help="output of `foleygan prepare` (test split "
                        "scored, train split = the classifier metrics' reference)")
    source.add_argument("--videos", nargs="+", metavar="DIR_OR_FILE",
                        help="videos with their own sound track (files, or folders of them): each model's track "
                             "scored against the video's own sound (docs/evaluation.md)")
    add_models_option(p, several=True, default_help="saved_models/default/; or a GAN run directory")
    p.add_argument("--variants", default="normal", metavar="LIST",
                   help=f"comma-separated guidance variants of each guided model: {', '.join(VARIANTS)} "
                        "(off: P_act ≡ 0, a still video; swapped: another test window's P_act, same class where "
                        "possible); default: normal")
    p.add_argument("--classifier", default=None, metavar="CLF_RUN",
                   help="run directory of `foleygan train classifier`: adds IS, FID, NDB and retrieval accuracy")
    p.add_argument("--out", default=None, metavar="OUT_DIR", help="write the report here (created)")
    p.add_argument("--trn", default=None, metavar="TRN",
                   help="guidance source: TRN run directory (P_act of the true class) or TRN SavedModel "
                        "(predicted class); default: the trn/ of the first exported model")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="score only the first N test windows")
    p.add_argument("--seed", type=int, default=0,
                   help="z / swap / k-means seed (default 0; with --videos: the z seed of every clip)")
    p.add_argument("--truncation", type=float, default=None, help="z truncation (default: each model's gan.truncation)")
    p.add_argument("--batch-size", type=int, default=16, help="generation batch size (default 16)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNGs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from foleygan_tf.cli import UserError, config_from_args
    from foleygan_tf.commands.options import selected_models

    if args.videos:
        return run_videos(args)
    # the classifier metrics' settings: --preset/--set when given, else the classifier's own config
    cfg = config_from_args(args) if (args.preset or args.overrides) else None
    for path, what in [(args.shards, "--shards")] + ([(args.classifier, "--classifier")] if args.classifier else []) \
            + ([(args.trn, "--trn")] if args.trn else []):
        if not os.path.isdir(path):
            raise UserError(f"{path}: {what} is not a directory")
    models = selected_models(args)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be ≥ 1, got {args.limit}")
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be ≥ 1, got {args.batch_size}")
    if args.out is not None and os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UserError(f"{args.out}: --out exists and is not a directory")

    from foleygan_tf.evaluation.report import REPORT_MD, evaluate_models, format_summary

    report = evaluate_models(args.shards, models, args.out, classifier=args.classifier, trn=args.trn,
                             config=cfg, variants=variants, limit=args.limit,
                             seed=args.seed, batch_size=args.batch_size, truncation=args.truncation,
                             plots=not args.no_plots, progress=not args.quiet)
    print(format_summary(report))
    where = f"wrote {os.path.join(args.out, REPORT_MD)}" if args.out else "scored"
    print(f"{where} ({report['settings']['test_windows']} test windows, {report['settings']['seconds']:.0f} s)")
    return 0


def run_videos(args) -> int:
    """``--videos``: :func:`foleygan_tf.evaluation.real_video.evaluate_videos`."""
    from foleygan_tf.cli import UserError
    from foleygan_tf.commands.options import selected_models
    from foleygan_tf.evaluation.real_video import REPORT_MD, evaluate_videos, format_summary
    from foleygan_tf.progress import say

    shards_only = [flag for flag, value in (("--classifier", args.classifier), ("--trn", args.trn),
                                             ("--limit", args.limit)) if value is not None]
    if shards_only:
        raise UserError(f"{shards_only[0]} goes with --shards, not --videos")
    if args.out is not None and os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UserError(f"{args.out}: --out exists and is not a directory")
    report = evaluate_videos(args.videos, selected_models(args), args.out, seed=args.seed,
                             truncation=args.truncation, progress=not args.quiet, report=say)
    say(format_summary(report))
    if args.out:
        say(f"wrote {os.path.join(args.out, REPORT_MD)} ({report['mean']['clips']} videos, "
            f"{report['settings']['seconds']:.0f} s)")
    return 0
