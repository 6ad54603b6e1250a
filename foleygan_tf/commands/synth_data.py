"""``foleygan synth-data``: the synchronised synthetic Foley dataset (docs/dataset.md)."""

from __future__ import annotations

import os
import sys
import time


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "synth-data", parents=[common],
        help="generate a synchronised audio-visual dataset with ground-truth event times",
        description="Write DATA_DIR/<class>/<clip>.mp4 (H.264 + AAC 44.1 kHz) and a <clip>.json sidecar "
                    "{class, fps, duration, events} for procedurally drawn scenes of the 12 AFD classes.")
    p.add_argument("data_dir", metavar="DATA_DIR")
    p.add_argument("--clips-per-class", type=int, required=True, metavar="N")
    p.add_argument("--seconds", type=float, default=3.0, help="clip duration (default 3, the AFD clip length)")
    p.add_argument("--fps", default="24", help="frame rate, e.g. 24, 25, 29.97, 30000/1001, 60 (default 24)")
    p.add_argument("--size", type=int, default=128, metavar="PX", help="square frame side in pixels (default 128)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: the preset's seed)")
    p.add_argument("--sound-bank", default=None, metavar="DIR",
                   help="folder DIR/<class>/*.wav|flac|ogg|mp3 of real recordings to use instead of synthetic sounds")
    p.add_argument("--classes", default=None, help="comma-separated subset of the AFD classes (default: all 12)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: number of CPUs, at most 4)")
    p.add_argument("--randomize", action="store_true",
                   help="domain randomisation of the frames: hand-held camera, texture, light, silent "
                        "distractors, blur, sensor noise, H.264 quality (events and sound unchanged)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from foleygan_tf.cli import UserError, config_from_args
    from foleygan_tf.data.synth import synthesize_dataset

    cfg = config_from_args(args)
    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    if args.sound_bank and not os.path.isdir(args.sound_bank):
        raise UserError(f"{args.sound_bank}: " + ("--sound-bank must be a folder (DIR/<class>/*.wav|flac|ogg|mp3), "
                                                  "not a file" if os.path.exists(args.sound_bank)
                                                  else "sound bank folder not found"))
    if os.path.exists(args.data_dir) and not os.path.isdir(args.data_dir):
        raise UserError(f"{args.data_dir}: DATA_DIR exists and is not a directory")
    workers = args.workers if args.workers is not None else min(4, os.cpu_count() or 1)
    seed = cfg.seed if args.seed is None else args.seed
    t0 = time.perf_counter()
    sidecars = synthesize_dataset(args.data_dir, args.clips_per_class, seconds=args.seconds, fps=args.fps,
                                  size=args.size, seed=seed, classes=classes, sound_bank=args.sound_bank,
                                  workers=workers, progress=not args.quiet, randomize=args.randomize)
    dt = time.perf_counter() - t0
    events = sum(len(s["events"]) for s in sidecars)
    print(f"wrote {len(sidecars)} clips ({events} events) to {args.data_dir} in {dt:.1f} s "
          f"({len(sidecars) / max(dt, 1e-9):.2f} clips/s)")
    if args.sound_bank:
        from foleygan_tf.data.soundbank import bank_warnings

        for line in bank_warnings(args.sound_bank, args.data_dir, sidecars):
            print(f"foleygan: warning: {line}", file=sys.stderr)
    return 0
