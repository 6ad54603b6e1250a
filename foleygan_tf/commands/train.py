"""``foleygan train {trn,gan}``: train the video action-recognition block or the GAN.

``foleygan train trn SHARDS_DIR RUN_DIR --preset P [--set …] [--epochs E]`` trains the
:class:`foleygan_tf.models.trn.ActionRecognizer` (MTRN + 2TRN) on the ``train`` split of prepared
shards (``foleygan prepare``), validates on the ``test`` split, writes the run directory
(``config.json``, ``history.json``, checkpoints — see ``foleygan_tf.training.trn``) and then
evaluates the trained model (deterministic MTRN) on the ``test`` split:

* ``RUN_DIR/eval.json`` — accuracy, per-class accuracy, confusion matrix (rows = true class,
  columns = predicted), and ``action_sync``: how well ``P_act`` peaks line up with the windows'
  ground-truth event times compared with chance (``foleygan_tf.evaluation.action_sync``);
* ``RUN_DIR/confusion_matrix.png``.

Re-running with the same ``RUN_DIR`` and a larger ``--epochs`` continues the run.

``foleygan train gan SHARDS_DIR RUN_DIR --trn TRN_RUN_DIR [--steps N]`` is implemented in
``foleygan_tf.commands.train_gan`` (imported when the command runs).

``foleygan train classifier SHARDS_DIR RUN_DIR --preset P [--epochs E]`` trains the sound-retrieval
classifier of the evaluation (``foleygan_tf.evaluation.classifier``; paper §VI-A) on the real
training clips and writes its test-split accuracy (the "Real data" row) to ``RUN_DIR/eval.json``.
"""

from __future__ import annotations

import math
import os
import sys
import time

EVAL_NAME = "eval.json"
CONFUSION_PNG = "confusion_matrix.png"


def register(subparsers, common) -> None:
    p = subparsers.add_parser("train", help="train the action recognizer (trn) or the FoleyGAN (gan)",
                              description="Train a block of FoleyGAN on prepared shards.")
    sub = p.add_subparsers(dest="train_command", metavar="{trn,gan,classifier}")
    sub.required = True

    t = sub.add_parser(
        "trn", parents=[common], help="train the video action recognizer (MTRN + 2TRN)",
        description="Train the action recognizer on SHARDS_DIR's train split (validation: test split), "
                    "write RUN_DIR (config.json, history.json, checkpoints, tensorboard/) and evaluate "
                    "it on the test split (eval.json, confusion_matrix.png). Re-running continues the run.")
    t.add_argument("shards_dir", metavar="SHARDS_DIR", help="output of `foleygan prepare`")
    t.add_argument("run_dir", metavar="RUN_DIR")
    t.add_argument("--epochs", type=int, default=None, help="epochs (default: the preset's trn.epochs)")
    t.add_argument("--no-eval", action="store_true", help="skip the test-split evaluation at the end")
    t.add_argument("--quiet", action="store_true", help="no progress output")
    t.set_defaults(func=run_trn)

    g = sub.add_parser(
        "gan", parents=[common], help="train the visually guided class-conditional BigGAN",
        description="Train FoleyGAN on SHARDS_DIR with the action recognizer of TRN_RUN_DIR; "
                    "resumes when RUN_DIR has a checkpoint.")
    g.add_argument("shards_dir", metavar="SHARDS_DIR", help="output of `foleygan prepare`")
    g.add_argument("run_dir", metavar="RUN_DIR")
    g.add_argument("--trn", dest="trn", required=True, metavar="TRN_RUN_DIR",
                   help="run directory of `foleygan train trn`")
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


def run_gan(args) -> int:
    from foleygan_tf.commands import train_gan

    return train_gan.run(args)


def run_classifier(args) -> int:
    from foleygan_tf.cli import UserError, config_from_args

    cfg = config_from_args(args)
    if not os.path.isdir(args.shards_dir):
        raise UserError(f"{args.shards_dir}: no such folder (run `foleygan prepare DATA_DIR {args.shards_dir}`)")
    if args.epochs is not None and args.epochs < 1:
        raise UserError(f"--epochs must be ≥ 1, got {args.epochs}")
    from foleygan_tf.data.pipeline import read_manifest
    from foleygan_tf.evaluation.classifier import (CONFUSION_PNG, EVAL_NAME, evaluate_classifier, fit_classifier,
                                                   load_classifier, resolve_backbone)
    from foleygan_tf.training.run_dir import write_json_atomic

    manifest = read_manifest(args.shards_dir)
    t0 = time.perf_counter()
    verbose = 0 if args.quiet else (1 if sys.stdout.isatty() else 2)
    _, history = fit_classifier(cfg, args.shards_dir, args.run_dir, epochs=args.epochs, verbose=verbose)
    last = history[-1] if history else {}
    line = (f"trained classifier ({resolve_backbone(cfg)}): {last.get('epoch', 0)} epochs in "
            f"{time.perf_counter() - t0:.1f} s; loss {last.get('loss', float('nan')):.3f}, "
            f"train accuracy {last.get('accuracy', float('nan')):.3f}")
    if int(manifest["splits"]["test"]["examples"]):
        report = evaluate_classifier(load_classifier(args.run_dir), args.shards_dir, "test")
        write_json_atomic(os.path.join(args.run_dir, EVAL_NAME), report)
        plot_confusion_matrix(report["confusion_matrix"], report["class_names"],
                              os.path.join(args.run_dir, CONFUSION_PNG),
                              title=f"retrieval classifier: test accuracy {report['accuracy']:.3f}")
        line += (f"; test accuracy {report['accuracy']:.3f}, average (per-class) accuracy "
                 f"{report['average_accuracy']:.3f} ({report['windows']} windows)")
    print(f"{line} → {args.run_dir}")
    return 0


# ---------------------------------------------------------------------------------------------
# train trn
# ---------------------------------------------------------------------------------------------

def run_trn(args) -> int:
    from foleygan_tf.cli import UserError, config_from_args

    cfg = config_from_args(args)
    if not os.path.isdir(args.shards_dir):
        raise UserError(f"{args.shards_dir}: no such folder (run `foleygan prepare DATA_DIR {args.shards_dir}`)")
    if args.epochs is not None and args.epochs < 1:
        raise UserError(f"--epochs must be ≥ 1, got {args.epochs}")

    from foleygan_tf.data.pipeline import read_manifest, trn_dataset
    from foleygan_tf.training.trn import fit_trn

    manifest = read_manifest(args.shards_dir)
    n_train = int(manifest["splits"]["train"]["examples"])
    n_test = int(manifest["splits"]["test"]["examples"])
    if n_train == 0:
        raise UserError(f"{args.shards_dir}: the train split has no examples")
    batch = int(cfg.trn.batch_size)
    steps_per_epoch = max(1, math.ceil(n_train / batch))
    train_ds = trn_dataset(args.shards_dir, "train", cfg, training=True, batch_size=batch, seed=cfg.seed)
    val_ds = None
    if n_test:
        import tensorflow as tf

        # the manifest knows the size: tell tf.data (Keras warns "ran out of data" otherwise)
        val_ds = trn_dataset(args.shards_dir, "test", cfg, training=False, batch_size=batch).apply(
            tf.data.experimental.assert_cardinality(math.ceil(n_test / batch)))
    if not n_test and not args.quiet:
        print("note: the test split is empty: no validation and no evaluation", file=sys.stderr)

    verbose = 0 if args.quiet else (1 if sys.stdout.isatty() else 2)
    t0 = time.perf_counter()
    model, history = fit_trn(cfg, train_ds, val_ds, args.run_dir, epochs=args.epochs,
                             steps_per_epoch=steps_per_epoch, verbose=verbose)
    seconds = time.perf_counter() - t0
    last = history[-1] if history else {}
    line = (f"trained TRN: {last.get('epoch', 0)} epochs, {last.get('step', 0)} steps of {batch} "
            f"({n_train} train windows) in {seconds:.1f} s; loss {last.get('loss', float('nan')):.3f}, "
            f"accuracy {last.get('accuracy', float('nan')):.3f}")
    if "val_accuracy" in last:
        line += f", val accuracy {last['val_accuracy']:.3f}"

    if n_test and not args.no_eval:
        from foleygan_tf.training.trn import load_trn

        model = load_trn(args.run_dir, deterministic=True)
        report = evaluate_trn(model, args.shards_dir, cfg, batch_size=batch)
        write_eval(report, args.run_dir)
        sync = report["action_sync"]
        line += f"; test accuracy {report['accuracy']:.3f} (deterministic MTRN, {report['windows']} windows)"
        if sync.get("peak_hit_rate") is not None:
            line += (f"; P_act peak/event hit rate {sync['peak_hit_rate']:.3f} vs chance "
                     f"{sync['chance_hit_rate']:.3f} (p={sync['p_value']:.3g})")
    print(f"{line} → {args.run_dir}")
    return 0


def _batched_test_windows(shards_dir: str, split: str, cfg, batch_size: int):
    import tensorflow as tf

    from foleygan_tf.data.pipeline import example_dataset

    keys = ("frames", "num_frames", "label", "fps", "events", "num_events", "has_events", "clip_id")
    ds = example_dataset(shards_dir, split, cfg, training=False)
    ds = ds.map(lambda e: {k: e[k] for k in keys}, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.padded_batch(batch_size).prefetch(tf.data.AUTOTUNE)   # padded: clips may differ in length


def evaluate_trn(model, shards_dir: str, cfg, split: str = "test", batch_size: int = 16,
                 num_shuffles: int = 1000) -> dict:
    """Evaluate a trained :class:`ActionRecognizer` on a prepared split.

    Uses the model as given (pass one built with ``deterministic=True``, e.g. ``load_trn``; the
    call itself asks for the deterministic MTRN). P_act follows the predicted class, as at
    inference. Returns the ``eval.json`` dict: ``split``, ``windows``, ``accuracy``,
    ``class_names``, ``class_counts``, ``per_class_accuracy`` (``None`` for classes absent from
    the split), ``confusion_matrix`` (rows true, columns predicted), ``mean_p_act``
    (P_act averaged over pairs and windows) and ``action_sync``
    (:func:`foleygan_tf.evaluation.action_sync.pact_event_alignment` over the windows whose clip
    had a sidecar with events, grouped by class).
    """
    import numpy as np
    import tensorflow as tf

    from foleygan_tf.evaluation.action_sync import pact_event_alignment

    @tf.function(reduce_retracing=True)
    def predict(frames, num_frames):
        return model.predict_actions({"frames": frames, "num_frames": num_frames}, deterministic=True)

    names = list(cfg.class_names)
    c = len(names)
    labels, preds, curves, events, fps, groups = [], [], [], [], [], []
    for b in _batched_test_windows(shards_dir, split, cfg, batch_size):
        out = predict(b["frames"], b["num_frames"])
        y = b["label"].numpy()
        labels.append(y)
        preds.append(out["class_index"].numpy())
        p_act, n_pairs = out["p_act"].numpy(), out["num_pairs"].numpy()
        for i in range(len(y)):
            curves.append(p_act[i, : n_pairs[i]])
            if bool(b["has_events"][i]):
                events.append(b["events"][i].numpy()[: int(b["num_events"][i])])
            else:
                events.append(np.zeros(0))
            fps.append(float(b["fps"][i]))
            groups.append(names[int(y[i])])
    if not labels:
        raise ValueError(f"{shards_dir}: the {split!r} split has no examples")
    y = np.concatenate(labels).astype(int)
    p = np.concatenate(preds).astype(int)
    cm = np.zeros((c, c), dtype=int)
    np.add.at(cm, (y, p), 1)
    counts = cm.sum(axis=1)
    per_class = {n: (float(cm[i, i] / counts[i]) if counts[i] else None) for i, n in enumerate(names)}
    sync = pact_event_alignment(curves, events, fps, num_shuffles=num_shuffles, seed=int(cfg.seed), groups=groups)
    return {
        "split": split, "windows": int(len(y)), "mtrn_mode": "deterministic",
        "accuracy": float(np.mean(y == p)),
        "class_names": names,
        "class_counts": {n: int(counts[i]) for i, n in enumerate(names)},
        "per_class_accuracy": per_class,
        "confusion_matrix": cm.tolist(),
        "mean_p_act": float(np.mean(np.concatenate(curves))) if curves else None,
        "action_sync": sync,
    }


def plot_confusion_matrix(cm, class_names, path: str, title: str = "") -> None:
    """Write a confusion-matrix PNG (rows true, columns predicted, counts in the cells) atomically."""
    import numpy as np
    from matplotlib.figure import Figure  # pyplot-free: no global backend switch

    cm = np.asarray(cm)
    n = len(class_names)
    side = max(4.0, 0.5 * n + 2.0)
    fig = Figure(figsize=(side, side * 0.9))
    ax = fig.subplots()
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.divide(cm, np.maximum(rows, 1))
    im = ax.imshow(frac, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(n), class_names, rotation=60, ha="right")
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                ax.text(j, i, str(int(cm[i, j])), ha="center", va="center",
                        color="white" if frac[i, j] > 0.5 else "black", fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="fraction of the true class")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    tmp = f"{path[:-4]}.tmp-{os.getpid()}.png"
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, path)


def write_eval(report: dict, run_dir: str) -> None:
    """``RUN_DIR/eval.json`` and ``RUN_DIR/confusion_matrix.png`` (both atomic)."""
    from foleygan_tf.training.run_dir import write_json_atomic

    write_json_atomic(os.path.join(run_dir, EVAL_NAME), report)
    plot_confusion_matrix(report["confusion_matrix"], report["class_names"],
                          os.path.join(run_dir, CONFUSION_PNG),
                          title=f"{report['split']} accuracy {report['accuracy']:.3f} ({report['windows']} windows)")
