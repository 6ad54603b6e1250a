"""``foleygan evaluate``: the paper's Tables I–III and Fig. 6 for one or more generators.

``foleygan evaluate --shards SHARDS_DIR --classifier CLF_RUN --model NAME=PATH [--model …]
--out OUT_DIR [--trn TRN] [--limit N] [--seed S] [--guidance-off] [--shuffle-guidance]``

Each ``--model`` is a ``foleygan train gan`` run directory (its EMA generator) or an exported
models directory (``DIR/generator`` [+ ``DIR/trn``], e.g. ``saved_models/default``). Writes
``OUT_DIR/report.md``, ``report.json``, ``rainbowgrams.png`` and ``spectrograms.png``
(``foleygan_tf.evaluation.report``; docs/evaluation.md). ``--preset/--set`` give the metric
settings (``eval.*``: NDB K and α, IS splits); the preset's audio geometry must match the
classifier's.
"""

from __future__ import annotations

import os


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "evaluate", parents=[common], help="IS / FID / NDB / retrieval accuracy / sync scores of generators",
        description="Generate one clip per test window (class, S_act and P_act of the window) with each "
                    "model, score them and the real clips with the retrieval classifier (IS, FID, NDB, "
                    "accuracy) and against the sidecar event times (onset P/R/F1, AP, offsets, AV offset), "
                    "and write report.md / report.json / rainbowgrams.png / spectrograms.png to OUT_DIR.")
    p.add_argument("--shards", required=True, metavar="SHARDS_DIR", help="output of `foleygan prepare` (test split "
                   "scored, train split = reference)")
    p.add_argument("--classifier", required=True, metavar="CLF_RUN", help="run directory of `foleygan train classifier`")
    p.add_argument("--model", dest="models", action="append", default=[], metavar="NAME=PATH",
                   help="a GAN run directory or exported models directory (repeatable; NAME defaults to the "
                        "folder name)")
    p.add_argument("--out", required=True, metavar="OUT_DIR", help="report directory (created)")
    p.add_argument("--trn", default=None, metavar="TRN",
                   help="guidance source: TRN run directory (P_act of the true class) or TRN SavedModel "
                        "(predicted class); default: the trn/ of the first exported model")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="score only the first N test windows")
    p.add_argument("--seed", type=int, default=0, help="z / shuffle / k-means seed (default 0)")
    p.add_argument("--truncation", type=float, default=None, help="z truncation (default: each model's gan.truncation)")
    p.add_argument("--batch-size", type=int, default=16, help="generation batch size (default 16)")
    p.add_argument("--guidance-off", action="store_true",
                   help="also score each guided model with P_act ≡ 0 (a still video)")
    p.add_argument("--shuffle-guidance", action="store_true",
                   help="also score each guided model with another window's P_act (same class where possible)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNGs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def parse_model_specs(specs) -> list[tuple[str, str]]:
    """``["NAME=PATH" | "PATH", …]`` → ``[(name, path), …]`` (name = folder name without ``=``)."""
    out = []
    for spec in specs:
        if "=" in spec:
            name, path = spec.split("=", 1)
        else:
            path = spec
            name = os.path.basename(os.path.normpath(spec))
        if not name or not path:
            raise ValueError(f"--model expects NAME=PATH, got {spec!r}")
        out.append((name, path))
    return out


def run(args) -> int:
    from foleygan_tf.cli import UserError, config_from_args

    cfg = config_from_args(args)
    if not args.models:
        raise UserError("give at least one --model NAME=PATH")
    for path, what in [(args.shards, "--shards"), (args.classifier, "--classifier")] + [
            (p, f"--model {n}") for n, p in parse_model_specs(args.models)] + ([(args.trn, "--trn")] if args.trn else []):
        if not os.path.isdir(path):
            raise UserError(f"{path}: {what} is not a directory")
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be ≥ 1, got {args.limit}")
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be ≥ 1, got {args.batch_size}")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UserError(f"{args.out}: --out exists and is not a directory")

    from foleygan_tf.evaluation.report import REPORT_MD, evaluate_models

    variants = ["normal"] + (["off"] if args.guidance_off else []) + (["shuffled"] if args.shuffle_guidance else [])
    report = evaluate_models(args.shards, args.classifier, parse_model_specs(args.models), args.out, trn=args.trn,
                             config=cfg, variants=variants, limit=args.limit, seed=args.seed,
                             batch_size=args.batch_size, truncation=args.truncation, plots=not args.no_plots,
                             progress=not args.quiet)
    for r in report["rows"]:
        sync = r["sync"]
        f1 = "—" if sync["f1"] is None else f"{sync['f1']:.2f}"
        fid = "—" if r["fid"] is None else f"{r['fid']:.1f}"
        print(f"{r['name']}: IS {r['is']['whole']:.2f}, FID {fid}, NDB {r['ndb']['ndb']}/{r['ndb']['k']}, "
              f"average accuracy {100 * r['accuracy']['average_accuracy']:.1f} %, onset F1 {f1}")
    print(f"wrote {os.path.join(args.out, REPORT_MD)} ({report['settings']['test_windows']} test windows, "
          f"{report['settings']['seconds']:.0f} s)")
    return 0
