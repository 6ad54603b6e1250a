"""``foleygan prepare``: a video dataset (AFD folder or CSV) → TFRecord shards (docs/dataset.md)."""

from __future__ import annotations

import os


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "prepare", parents=[common],
        help="decode a video dataset into sharded TFRecords (train/test split, manifest)",
        description="Ingest DATA_DIR/<class>/<clip>.<mp4|mov|avi|mkv|webm> (or a CSV path,label[,start,end]) "
                    "into SHARDS_DIR/<split>-NNNNN-of-NNNNN.tfrecord + manifest.json. Resumable; bad files "
                    "are skipped and listed in the manifest.")
    p.add_argument("data_dir", metavar="DATA_DIR", help="AFD-layout folder or a .csv manifest")
    p.add_argument("shards_dir", metavar="SHARDS_DIR")
    p.add_argument("--hop", type=float, default=None, metavar="SECONDS",
                   help="hop between windows (default: the clip length, i.e. no overlap)")
    p.add_argument("--shard-size", type=int, default=64, metavar="N", help="source clips per shard (default 64)")
    p.add_argument("--min-seconds", type=float, default=None,
                   help="skip clips shorter than this (default: 1 s); shorter-than-a-window clips are padded")
    p.add_argument("--frame-format", choices=("jpeg", "raw"), default="jpeg")
    p.add_argument("--spectrogram", action="store_true",
                   help="also store the encoded spectrogram (float16 [R,R,3]) of each window")
    p.add_argument("--workers", type=int, default=None, help="decoding processes (default: CPUs, at most 4)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from foleygan_tf.cli import UserError, config_from_args
    from foleygan_tf.data.prepare import prepare_dataset

    cfg = config_from_args(args)
    if not os.path.exists(args.data_dir):
        raise UserError(f"{args.data_dir}: no such folder or CSV file")
    if os.path.exists(args.shards_dir) and not os.path.isdir(args.shards_dir):
        raise UserError(f"{args.shards_dir}: SHARDS_DIR exists and is not a directory")
    workers = args.workers if args.workers is not None else min(4, os.cpu_count() or 1)
    m = prepare_dataset(args.data_dir, args.shards_dir, cfg, hop_seconds=args.hop, shard_size=args.shard_size,
                        min_seconds=args.min_seconds, frame_format=args.frame_format,
                        spectrogram=args.spectrogram, workers=workers, progress=not args.quiet)
    tr, te = m["splits"]["train"], m["splits"]["test"]
    print(f"train: {tr['examples']} windows from {tr['clips']} clips in {len(tr['shards'])} shards; "
          f"test: {te['examples']} windows from {te['clips']} clips in {len(te['shards'])} shards; "
          f"skipped {len(m['skipped'])} file(s); reused {m['last_run']['shards_reused']} shard(s)")
    for s in m["skipped"]:
        print(f"  skipped {s['path']}: {s['reason']}")
    return 0
