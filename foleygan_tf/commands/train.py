"""``foleygan train {trn,gan,classifier}``: train a block of FoleyGAN on prepared shards.

* ``trn SHARDS_DIR RUN_DIR`` — the action recognizer in its two stages (MTRN, then 2TRN:
  ``foleygan_tf.training.trn.train_trn_on_shards``), then its test-split evaluation
  (``RUN_DIR/eval.json``, ``confusion_matrix.png``; on stderr, the classes whose events P_act
  misses);
* ``gan SHARDS_DIR RUN_DIR [--trn TRN_RUN_DIR] [--steps N]`` — the visually guided BigGAN
  (``foleygan_tf.training.fit_gan.train_gan_on_shards``);
* ``classifier SHARDS_DIR RUN_DIR`` — the sound-retrieval classifier of the evaluation.

Re-running a command with the same ``RUN_DIR`` resumes it with the run's own config
(``foleygan_tf.training.run_dir.run_config``).
"""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("train", help="train the action recognizer (trn) or the FoleyGAN (gan)",
                              description="Train a block of FoleyGAN on prepared shards.")
    sub = p.add_subparsers(dest="train_command", metavar="{trn,gan,classifier}")
    sub.required = True

    t = sub.add_parser(
        "trn", parents=[common], help="train the video action recognizer (MTRN + 2TRN)",
        description="Train the action recognizer on SHARDS_DIR's train split (validation: test split): the "
                    "MTRN with the frame backbone, then the 2TRN on the frozen backbone (paper §V-B: trained "
                    "separately); write RUN_DIR (config.json, history.json, checkpoints, tensorboard/) and "
                    "evaluate it on the test split (eval.json, confusion_matrix.png). Re-running continues the run "
                    "with its own config.json (--set may change only the epochs).")
    t.add_argument("shards_dir", metavar="SHARDS_DIR", help="output of `foleygan prepare`")
    t.add_argument("run_dir", metavar="RUN_DIR")
    t.add_argument("--epochs", type=int, default=None, help="epochs of the MTRN stage (default: trn.epochs)")
    t.add_argument("--pair-epochs", type=int, default=None, help="epochs of the 2TRN stage (default: trn.pair_epochs)")
    t.add_argument("--no-eval", action="store_true", help="skip the test-split evaluation at the end")
    t.add_argument("--quiet", action="store_true", help="no progress output")
    t.set_defaults(func=run_trn)

    g = sub.add_parser(
        "gan", parents=[common], help="train the visually guided class-conditional BigGAN",
        description="Train FoleyGAN on SHARDS_DIR with the guidance of the action recognizer of TRN_RUN_DIR; "
                    "resumes when RUN_DIR has a checkpoint, with its own config.json (--set may change only the "
                    "iterations, logging and checkpoint intervals).")
    g.add_argument("shards_dir", metavar="SHARDS_DIR", help="output of `foleygan prepare`")
    g.add_argument("run_dir", metavar="RUN_DIR")
    g.add_argument("--trn", dest="trn", default=None, metavar="TRN_RUN_DIR",
                   help="run directory of `foleygan train trn` (needed unless the preset takes the class from the "
                        "label and the guidance from the audio: gan.class_source=label, gan.guidance_source=audio_onsets)")
    g.add_argument("--steps", type=int, default=None, metavar="N",
                   help="micro-batches to train up to (the `step` of history.json)")
    g.set_defaults(func=run_gan)

    c = sub.add_parser(
        "classifier", parents=[common], help="train the sound-retrieval classifier of the evaluation",
        description="Train the retrieval classifier (ResNet-50, or a small CNN at small images: "
                    "eval.classifier_backbone) on spectrogram images of SHARDS_DIR's real train clips, "
                    "validate on the test split, write RUN_DIR and eval.json (test accuracy = the "
                    "'Real data' row of `foleygan evaluate`). Re-running continues the run.")
    c.add_argument("shards_dir", metavar="SHARDS_DIR", help="output of `foleygan prepare`")
    c.add_argument("run_dir", metavar="RUN_DIR")
    c.add_argument("--epochs", type=int, default=None, help="epochs (default: the preset's eval.classifier_epochs)")
    c.add_argument("--quiet", action="store_true", help="no progress output")
    c.set_defaults(func=run_classifier)


def _verbosity(args) -> int:
    import sys

    return 0 if args.quiet else (1 if sys.stdout.isatty() else 2)


def run_trn(args) -> int:
    from foleygan_tf.cli import run_config_from_args
    from foleygan_tf.training.trn import train_trn_on_shards

    config = run_config_from_args(args, args.run_dir)
    result = train_trn_on_shards(config, args.shards_dir, args.run_dir, epochs=args.epochs,
                                 pair_epochs=args.pair_epochs, evaluate=not args.no_eval, verbose=_verbosity(args))
    line = f"trained TRN ({result['train_windows']} train windows, batch {result['batch_size']}) in {result['seconds']:.1f} s"
    for stage in ("class", "pair"):
        last = next((r for r in reversed(result["history"]) if r.get("stage") == stage), None)
        if last:
            acc = "accuracy" if stage == "class" else "pair_accuracy"
            line += f"; {stage} stage: {last['epoch']} epochs, loss {last['loss']:.3f}, {acc} {last.get(acc, float('nan')):.3f}"
            if f"val_{acc}" in last:
                line += f" (val {last[f'val_{acc}']:.3f})"
    report = result["eval"]
    if report is not None:
        sync = report["action_sync"]
        line += f"; test accuracy {report['accuracy']:.3f} (deterministic MTRN, {report['windows']} windows)"
        if sync.get("peak_hit_rate") is not None:
            line += (f"; P_act peak/event hit rate {sync['peak_hit_rate']:.3f} vs chance "
                     f"{sync['chance_hit_rate']:.3f} (p={sync['p_value']:.3g})")
    elif not result["test_windows"]:
        line += "; the test split is empty: no validation and no evaluation"
    print(f"{line} → {args.run_dir}")
    if report is not None:
        _warn_missed_classes(report["action_sync"])
    return 0


def _warn_missed_classes(sync: dict) -> None:
    """One line naming the classes whose events the 2TRN's P_act does not follow on the test
    windows: G leaves them silent wherever its guidance comes from this TRN."""
    from foleygan_tf.evaluation.action_sync import MISSED_GAP, missed_groups

    missed = missed_groups(sync)
    if missed:
        names = ", ".join(f"{k} {hit:.2f} vs chance {chance:.2f}" for k, (hit, chance) in missed.items())
        print(f"foleygan: warning: P_act does not follow the events of {len(missed)} class(es) (peak hit rate "
              f"less than {MISSED_GAP:.0%} of the way from chance to 1: {names}); the sound generated from this "
              "TRN will miss them — a run with another --set seed=N may learn them (docs/trn.md)", file=sys.stderr)


def run_gan(args) -> int:
    from foleygan_tf.cli import run_config_from_args
    from foleygan_tf.training.fit_gan import train_gan_on_shards

    config = run_config_from_args(args, args.run_dir)
    result = train_gan_on_shards(config, args.shards_dir, args.run_dir, args.trn, args.steps)
    gan = result["gan"]
    if result["diverged"] is not None:
        print(f"foleygan: training stopped on a non-finite loss at step {result['diverged']['step']}; "
              f"the last good checkpoint is kept in {args.run_dir}")
        return 3
    last = next((r for r in reversed(result["history"]) if "g_loss" in r), None)
    summary = f"step {gan.micro_batches_seen()} ({gan.optimizer_updates()} optimizer updates)"
    if last:
        summary += f": d_loss {last['d_loss']:.4f}, g_loss {last['g_loss']:.4f}"
    print(f"{'resumed' if result['resumed'] else 'trained'} {args.run_dir} to {summary}")
    return 0


def run_classifier(args) -> int:
    from foleygan_tf.cli import run_config_from_args
    from foleygan_tf.evaluation.classifier import train_classifier_on_shards

    config = run_config_from_args(args, args.run_dir)
    result = train_classifier_on_shards(config, args.shards_dir, args.run_dir, epochs=args.epochs,
                                        verbose=_verbosity(args))
    last = result["history"][-1] if result["history"] else {}
    line = (f"trained classifier ({result['backbone']}): {last.get('epoch', 0)} epochs in "
            f"{result['seconds']:.1f} s; loss {last.get('loss', float('nan')):.3f}, "
            f"train accuracy {last.get('accuracy', float('nan')):.3f}")
    report = result["eval"]
    if report is not None:
        line += (f"; test accuracy {report['accuracy']:.3f}, average (per-class) accuracy "
                 f"{report['average_accuracy']:.3f} ({report['windows']} windows)")
    print(f"{line} → {args.run_dir}")
    return 0
