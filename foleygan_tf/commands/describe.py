"""``foleygan describe``: parameter counts (total and per block) and analytic forward GFLOPs
(batch 1) of the generator, the discriminator, the MTRN and the 2TRN for the config named by
``--preset``/``--set``; with ``--fields``, every config field with its kind (paper value, our
choice where the paper is vague, infrastructure, or switch), its value and the paper's.

Parameters count trainable variables only (PyTorch's convention, so BigGAN's published numbers
compare directly): ``--preset paper --set gan.guidance=none --set num_classes=1000`` gives
G = 82,468,068 and D = 99,401,282. See docs/models.md.
"""

from __future__ import annotations

import json


def register(subparsers, common):
    p = subparsers.add_parser("describe", parents=[common], description=__doc__,
                              help="parameter counts and GFLOPs of the networks of a preset, or its config fields")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--fields", action="store_true",
                   help="list the config fields (kind, value, the paper preset's value) instead")
    p.set_defaults(func=run)


def run(args):
    from foleygan_tf.cli import config_from_args
    from foleygan_tf.config import field_kinds
    from foleygan_tf.models.stats import describe_networks

    cfg = config_from_args(args)
    report = field_kinds(cfg) if args.fields else describe_networks(cfg)
    if args.json:
        print(json.dumps(report, indent=2, default=list))
    else:
        print(format_fields(report, cfg) if args.fields else format_report(report, cfg))
    return 0


def format_report(report, cfg) -> str:
    lines = [f"preset {cfg.name}: R={cfg.audio.image_size}, ch={cfg.gan.ch}, z={cfg.gan.z_dim}, "
             f"classes={cfg.num_classes}, guidance={cfg.gan.guidance}, "
             f"d_sees_action={cfg.gan.d_sees_action}"]
    for net, entry in report.items():
        lines.append(f"{net:<16} {entry['params']:>14,d} params  {entry['gflops']:>10.3f} GFLOPs")
        for name, block in entry.get("blocks", {}).items():
            lines.append(f"  {name:<20} {block['params']:>12,d}  {block['gflops']:>10.3f}")
    return "\n".join(lines)


def format_fields(rows, cfg) -> str:
    from collections import Counter

    counts = Counter(r["kind"] for r in rows)
    lines = [f"preset {cfg.name}: {len(rows)} fields — " + ", ".join(f"{n} {k}" for k, n in counts.items())]
    for r in rows:
        differs = "" if r["value"] == r["paper"] else f"   (paper preset: {r['paper']!r})"
        lines.append(f"{r['field']:<32} {r['kind']:<7} {r['value']!r}{differs}")
    return "\n".join(lines)
