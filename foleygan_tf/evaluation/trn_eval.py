"""Evaluation of a trained action recognizer on a prepared split: class accuracy and whether P_act
peaks line up with the windows' ground-truth events (``action_sync``) — ``RUN_DIR/eval.json`` of
``foleygan train trn``."""

from __future__ import annotations

import numpy as np

__all__ = ["evaluate_trn"]


def _batched_windows(shards_dir: str, split: str, cfg, batch_size: int):
    import tensorflow as tf

    from foleygan_tf.data.pipeline import example_dataset

    keys = ("frames", "num_frames", "label", "fps", "events", "num_events", "has_events", "clip_id")
    ds = example_dataset(shards_dir, split, cfg, training=False)
    ds = ds.map(lambda e: {k: e[k] for k in keys}, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.padded_batch(batch_size).prefetch(tf.data.AUTOTUNE)   # padded: clips may differ in length


def evaluate_trn(model, shards_dir: str, cfg, split: str = "test", batch_size: int = 16,
                 num_shuffles: int = 1000) -> dict:
    """Evaluate a trained :class:`ActionRecognizer` on a prepared split.

    Uses the deterministic MTRN; P_act follows the predicted class, as at inference. Returns the
    ``eval.json`` dict: ``split``, ``windows``, ``accuracy``, ``class_names``, ``class_counts``,
    ``per_class_accuracy`` (``None`` for classes absent from the split), ``confusion_matrix``
    (rows true, columns predicted), ``mean_p_act`` (P_act averaged over pairs and windows) and
    ``action_sync`` (:func:`foleygan_tf.evaluation.action_sync.pact_event_alignment` over the
    windows whose clip had a sidecar with events, grouped by class).
    """
    import tensorflow as tf

    from foleygan_tf.evaluation.action_sync import pact_event_alignment
    from foleygan_tf.evaluation.confusion import confusion_matrix

    @tf.function(reduce_retracing=True)
    def predict(frames, num_frames):
        return model.predict_actions({"frames": frames, "num_frames": num_frames}, deterministic=True)

    names = list(cfg.class_names)
    labels, preds, curves, events, fps, groups = [], [], [], [], [], []
    for b in _batched_windows(shards_dir, split, cfg, batch_size):
        out = predict(b["frames"], b["num_frames"])
        y = b["label"].numpy()
        labels.append(y)
        preds.append(out["class_index"].numpy())
        p_act, n_pairs = out["p_act"].numpy(), out["num_pairs"].numpy()
        for i in range(len(y)):
            curves.append(p_act[i, : n_pairs[i]])
            events.append(b["events"][i].numpy()[: int(b["num_events"][i])] if bool(b["has_events"][i])
                          else np.zeros(0))
            fps.append(float(b["fps"][i]))
            groups.append(names[int(y[i])])
    if not labels:
        raise ValueError(f"{shards_dir}: the {split!r} split has no examples")
    y, p = np.concatenate(labels).astype(int), np.concatenate(preds).astype(int)
    cm = confusion_matrix(y, p, len(names))
    counts = cm.sum(axis=1)
    return {
        "split": split, "windows": int(len(y)), "mtrn_mode": "deterministic",
        "accuracy": float(np.mean(y == p)),
        "class_names": names,
        "class_counts": {n: int(counts[i]) for i, n in enumerate(names)},
        "per_class_accuracy": {n: (float(cm[i, i] / counts[i]) if counts[i] else None) for i, n in enumerate(names)},
        "confusion_matrix": cm.tolist(),
        "mean_p_act": float(np.mean(np.concatenate(curves))) if curves else None,
        "action_sync": pact_event_alignment(curves, events, fps, num_shuffles=num_shuffles, seed=int(cfg.seed),
                                            groups=groups),
    }
