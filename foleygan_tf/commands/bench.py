"""``foleygan bench``: measure the hot paths on this machine and write one JSON document.

    foleygan bench [--only codec|generator|train|pipeline|generate|peak ...] [--preset P]
                   --out FILE.json [--readme benchmarks/README.md] [--budget SECONDS]

Every (benchmark, preset, variant) runs in its own subprocess (separate peak RSS, a time limit per
task — an overrun is recorded as "not measured: … > N s"); the whole run stays within
``--budget`` seconds (default 870: under 15 minutes on a 2-core CPU). ``--out`` is written after
every task (a directory or a path ending in ``/`` → ``DIR/<machine>.json``, e.g.
``benchmarks/results/amd-epyc-2c.json``);
an existing result file of the same schema is updated (``--only`` re-measures just
those sections; ``--fill`` runs only what it does not hold yet). ``--readme`` also rewrites the results table between the
``<!-- bench:results -->`` markers of that Markdown file. Code: ``foleygan_tf/benchmarking/``;
what each number means: ``benchmarks/README.md``.
"""

from __future__ import annotations

import os


def register(subparsers, common) -> None:
    from foleygan_tf.benchmarking import BENCHMARKS

    p = subparsers.add_parser(
        "bench", help="benchmark codec, generator, training, input pipeline and generate on this machine",
        description="Measure, on this machine: dense matmul/conv peak (peak), codec vs librosa (codec), "
                    "generator latency/throughput per preset with FLOP efficiency (generator), train_step "
                    "examples/s with/without XLA and mixed_bfloat16 (train), tf.data examples/s (pipeline) "
                    "and `foleygan generate` wall time for a 10 s video (generate). Writes JSON to --out.")
    p.add_argument("--only", action="append", choices=BENCHMARKS, default=None, metavar="BENCH",
                   help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    p.add_argument("--preset", choices=("paper", "small", "tiny", "default"), default=None,
                   help="restrict to one preset (default: each benchmark's own list; `default` = the bundled "
                        "models)")
    p.add_argument("--out", required=True, metavar="FILE.json", help="result file (e.g. benchmarks/results/<machine>.json)")
    p.add_argument("--readme", default=None, metavar="README.md",
                   help="also write the results table into this Markdown file (between bench markers)")
    p.add_argument("--budget", type=float, default=870.0, metavar="SECONDS",
                   help="time budget of the whole run (default 870)")
    p.add_argument("--fresh", action="store_true", help="do not merge into an existing --out file")
    p.add_argument("--fill", action="store_true",
                   help="skip the tasks the --out file already holds as measured: a second run that fills "
                        "the gaps an earlier run's time budget left")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from foleygan_tf.benchmarking.report import update_readme
    from foleygan_tf.benchmarking.runner import run_benchmarks

    out = args.out
    if os.path.isdir(out) or out.endswith(os.sep):
        from foleygan_tf.benchmarking.common import machine_slug

        os.makedirs(out, exist_ok=True)
        out = os.path.join(out, f"{machine_slug()}.json")
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    results = run_benchmarks(out, only=args.only, preset=args.preset, budget=args.budget, log=log,
                             merge=not args.fresh, fill=args.fill)
    if args.readme:
        update_readme(args.readme, results, os.path.relpath(out, os.path.dirname(os.path.abspath(args.readme))))
    failed = [t for t in results["tasks"] if t["status"] != "ok"]
    print(f"wrote {out} ({len(results['tasks'])} tasks, {len(failed)} not measured, {results['wall_s']} s)")
    for t in results.get("targets", []):
        print(f"  {'met   ' if t['met'] else 'MISSED'} {t['name']}: {t['measured']} (target {t['target']})")
    return 0
