"""Confusion matrices of a classifier's test split: ``RUN_DIR/eval.json`` and
``RUN_DIR/confusion_matrix.png`` (the TRN's MTRN and the retrieval classifier write both)."""

from __future__ import annotations

import os

import numpy as np

EVAL_NAME = "eval.json"
CONFUSION_PNG = "confusion_matrix.png"


def confusion_matrix(labels, predictions, num_classes: int) -> np.ndarray:
    """``[C, C]`` counts, rows = true class, columns = predicted."""
    cm = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(cm, (np.asarray(labels, int), np.asarray(predictions, int)), 1)
    return cm


def plot_confusion_matrix(cm, class_names, path: str, title: str = "") -> str:
    """Write a confusion-matrix PNG (rows true, columns predicted, counts in the cells) atomically."""
    from matplotlib.figure import Figure

    from foleygan_tf.audio.plots import save_figure

    cm = np.asarray(cm)
    n = len(class_names)
    side = max(4.0, 0.5 * n + 2.0)
    fig = Figure(figsize=(side, side * 0.9))
    ax = fig.subplots()
    frac = np.divide(cm, np.maximum(cm.sum(axis=1, keepdims=True), 1))
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
    return save_figure(fig, path)


def write_eval(report: dict, run_dir: str, title: str | None = None) -> None:
    """``RUN_DIR/eval.json`` (``report``) and ``RUN_DIR/confusion_matrix.png`` of its
    ``confusion_matrix`` / ``class_names``, both atomic."""
    from foleygan_tf.atomic import write_json

    write_json(os.path.join(run_dir, EVAL_NAME), report)
    title = title or f"{report.get('split', 'test')} accuracy {report['accuracy']:.3f} ({report['windows']} windows)"
    plot_confusion_matrix(report["confusion_matrix"], report["class_names"], os.path.join(run_dir, CONFUSION_PNG),
                          title=title)
