"""``foleygan describe``: parameter counts (total and per block) and analytic forward GFLOPs
(batch 1) of the generator, the discriminator and — when the TRN module is present — the MTRN and
the pair TRN, for the config named by ``--preset``/``--set``.

Parameters count trainable variables only (PyTorch's convention, so BigGAN's published numbers
compare directly): ``--preset paper --set gan.guidance=none --set num_classes=1000`` gives
G = 82,468,068 and D = 99,401,282. See docs/models.md.
"""

from __future__ import annotations

import json


def register(subparsers, common):
    p = subparsers.add_parser("describe", parents=[common], description=__doc__,
                              help="parameter counts and GFLOPs of the networks of a preset")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args):
    from foleygan_tf.cli import config_from_args

    cfg = config_from_args(args)
    from foleygan_tf.models.stats import describe_networks

    report = describe_networks(cfg)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report, cfg))
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
