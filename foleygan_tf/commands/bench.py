"""``foleygan bench``: measure the hot paths on this machine and write one JSON document.

    foleygan bench [--only BENCH ...] [--preset P] [--set FIELD=VALUE ...] --out FILE.json
                   [--readme benchmarks/README.md] [--budget SECONDS] [--fresh | --fill]

Without ``--preset`` every benchmark runs its standard preset list; ``--set`` overrides apply to
the config of every task of the run. Code: ``foleygan_tf/benchmarking/`` (``runner.bench``); what
each number means: ``benchmarks/README.md``.
"""

from __future__ import annotations


def register(subparsers, common) -> None:
    from foleygan_tf.benchmarking import BENCHMARKS
    from foleygan_tf.benchmarking.runner import FULL_RUN_BUDGET

    p = subparsers.add_parser(
        "bench", parents=[common], help="benchmark codec, generator, training, input pipeline and generate on this machine",
        description="Measure, on this machine: dense matmul/conv peak (peak), FLOPs and parameters (flops), codec vs "
                    "librosa (codec), generator latency/throughput with FLOP efficiency (generator), train_step "
                    "examples/s with/without XLA and mixed_bfloat16 (train), training memory per micro-batch "
                    "(memory), data-path rates (pipeline) and `foleygan generate` wall time for a 10 s video "
                    "(generate). Every task runs in its own subprocess with a time limit; the whole run keeps to "
                    "--budget. Writes JSON to --out after every task. --preset measures only that preset (or "
                    "`default`, the bundled models); without it each benchmark runs its standard list.")
    p.add_argument("--only", action="append", choices=BENCHMARKS, default=None, metavar="BENCH",
                   help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    p.add_argument("--out", required=True, metavar="FILE.json",
                   help="result file; a folder (or a path ending in /) → FOLDER/<machine>.json")
    p.add_argument("--readme", default=None, metavar="README.md",
                   help="also rewrite the results section (between the bench:results markers) of this Markdown file")
    p.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                   help=f"time budget of the whole run (default: {FULL_RUN_BUDGET:.0f} for a full run; with --only or --preset the "
                        "sum of the planned tasks' time limits)")
    p.add_argument("--fresh", action="store_true", help="do not merge into an existing --out file")
    p.add_argument("--fill", action="store_true",
                   help="skip the tasks the --out file already holds as measured: a second run that fills "
                        "the gaps an earlier run's time budget left")
    p.add_argument("--render", action="store_true",
                   help="run nothing: redraw --readme (or print the tables) from the --out file, recomputing "
                        "efficiencies and targets")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from foleygan_tf.benchmarking.runner import bench

    if args.render:
        from foleygan_tf.benchmarking.report import rerender

        print(rerender(args.out, args.readme, rederive=True))
        return 0
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    print(bench(args.out, only=args.only, preset=args.preset, overrides=args.overrides, readme=args.readme,
                budget=args.budget, merge=not args.fresh, fill=args.fill, log=log))
    return 0
