"""Training the video action-recognition block (paper §V-B: Adam, lr 1e-3, batch 128, 100 epochs).

:func:`fit_trn` trains an :class:`foleygan_tf.models.trn.ActionRecognizer` (backbone + projection
+ MTRN + PairTRN) with ``model.fit`` on any ``tf.data.Dataset`` of ``(frames, label)`` batches —
``frames`` uint8 ``[B, T, H, W, 3]``, ``label`` int ``[B]`` (dict elements with keys ``frames`` and
``label``/``class``/``class_index`` are accepted too, and an optional ``num_frames`` [B] for padded
batches of clips of different lengths). The loss is ``CE(C(V), y) +
pair_loss_weight · mean_t CE(pair_t, y)`` (see ``ActionRecognizer``).

The run directory gets:

* ``config.json`` — the full config (written atomically; ``foleygan_tf.training.run_dir.RunDir``,
  shared with the GAN trainer, refuses to resume a run directory whose config differs in a field
  that shapes the models or data);
* ``history.json`` — a list of records, one per epoch: ``step`` (batches seen = micro-batches),
  ``optimizer_updates`` (equal: no accumulation for the TRN), ``epoch``, ``loss``, ``accuracy``,
  ``class_loss``, ``pair_loss``, ``pair_accuracy`` and the ``val_…`` counterparts, ``seconds``;
* ``checkpoints/epoch-NNN.weights.h5`` — weights after every epoch, and ``trn.weights.h5`` — the
  latest (what :func:`load_trn` and exports read);
* ``backup/`` — ``keras.callbacks.BackupAndRestore`` state (kept after the run): an interrupted
  run restarted with the same ``run_dir`` resumes at the last finished epoch (optimizer state
  included), and a finished run called again with more ``epochs`` continues from where it stopped;
* ``tensorboard/`` — TensorBoard logs.
"""

from __future__ import annotations

import os
import time

__all__ = ["fit_trn", "load_trn", "load_trn_config", "as_frames_labels"]

WEIGHTS_NAME = "trn.weights.h5"
LABEL_KEYS = ("label", "class", "class_index", "labels")


def as_frames_labels(ds):
    """Map a dataset of dict elements to ``(frames, label)`` tuples; tuples pass through."""
    spec = ds.element_spec
    if isinstance(spec, dict):
        if "frames" not in spec:
            raise ValueError(f"dataset elements need a 'frames' entry, got keys {sorted(spec)}")
        key = next((k for k in LABEL_KEYS if k in spec), None)
        if key is None:
            raise ValueError(f"dataset elements need one of {LABEL_KEYS}, got keys {sorted(spec)}")
        if "num_frames" in spec:  # padded batches: the recognizer needs each clip's length
            return ds.map(lambda d: ({"frames": d["frames"], "num_frames": d["num_frames"]}, d[key]))
        return ds.map(lambda d: (d["frames"], d[key]))
    if isinstance(spec, tuple) and len(spec) >= 2:
        return ds
    raise ValueError(f"expected a dataset of (frames, label) or dicts, got element spec {spec}")


def _history_callback(keras, run, records: list):
    class HistoryJSON(keras.callbacks.Callback):
        """Append one record per epoch to ``history.json`` (atomic rewrite)."""

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.time()

        def on_epoch_end(self, epoch, logs=None):
            updates = int(self.model.optimizer.iterations.numpy())
            record = {"step": updates, "optimizer_updates": updates, "epoch": epoch + 1}
            record.update({k: float(v) for k, v in (logs or {}).items()
                           if isinstance(v, (int, float)) or hasattr(v, "__float__")})
            record["seconds"] = round(time.time() - self._t0, 3)
            # a resumed run may redo an epoch: keep one record per epoch, the newest
            records[:] = [r for r in records if r.get("epoch", 0) < epoch + 1] + [record]
            run.write_history(records)

    return HistoryJSON()


def _latest_weights_callback(keras, path: str):
    class SaveLatest(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            tmp = f"{path[:-len('.weights.h5')]}.tmp-{os.getpid()}.weights.h5"
            self.model.save_weights(tmp)
            os.replace(tmp, path)

    return SaveLatest()


def run_callbacks(keras, run, records: list, weights_name: str, extra=()) -> list:
    """The callbacks of a resumable ``model.fit`` into the run directory ``run``: BackupAndRestore
    (kept after the run, delete_checkpoint=False: a later call with more epochs continues), a
    weights file per epoch, the latest weights as ``weights_name``, TensorBoard and the
    ``history.json`` records, then ``extra``. Shared by ``fit_trn`` and the evaluation
    classifier."""
    return [
        keras.callbacks.BackupAndRestore(os.path.join(run.path, "backup"), delete_checkpoint=False),
        keras.callbacks.ModelCheckpoint(os.path.join(run.checkpoint_dir, "epoch-{epoch:03d}.weights.h5"),
                                        save_weights_only=True),
        _latest_weights_callback(keras, os.path.join(run.path, weights_name)),
        keras.callbacks.TensorBoard(run.tensorboard_dir, write_graph=False, profile_batch=0),
        _history_callback(keras, run, records),
        *extra,
    ]


def fit_trn(config, train_ds, val_ds, run_dir, *, epochs: int | None = None,
            steps_per_epoch: int | None = None, verbose: int = 0, callbacks=(), model=None):
    """Train the action recognizer described by ``config`` and record the run in ``run_dir``.

    Args:
      config: a :class:`foleygan_tf.config.Config` (``video``, ``trn``, ``num_classes``, ``seed``).
      train_ds: batched ``tf.data.Dataset`` of ``(frames uint8 [B, T, H, W, 3], label int [B])``.
      val_ds: the same for validation, or ``None``.
      run_dir: output directory (created); re-running with the same directory resumes.
      epochs: default ``config.trn.epochs``.
      steps_per_epoch: batches per epoch; required when ``train_ds`` repeats forever (the data
        pipeline's training datasets do: pass ``ceil(train windows / batch size)``).
      verbose: passed to ``model.fit``.
      callbacks: extra Keras callbacks (e.g. a progress bar).
      model: an existing :class:`ActionRecognizer` to train (default: built from ``config``).

    Returns:
      ``(model, history)`` — the trained model and the list of ``history.json`` records.
    """
    import keras
    import tensorflow as tf

    from foleygan_tf.models.trn import ActionRecognizer
    from foleygan_tf.training.run_dir import RunDir

    if steps_per_epoch is None and int(train_ds.cardinality()) == int(tf.data.INFINITE_CARDINALITY):
        raise ValueError("the training dataset repeats forever: pass steps_per_epoch "
                         "(e.g. ceil(training windows / batch size))")
    run = RunDir(run_dir)
    run.prepare(config)  # writes config.json; refuses to resume a run with another model/data config
    epochs = int(config.trn.epochs if epochs is None else epochs)
    keras.utils.set_random_seed(int(config.seed))
    train_ds = as_frames_labels(train_ds)
    val_ds = as_frames_labels(val_ds) if val_ds is not None else None
    if model is None:
        model = ActionRecognizer.from_config_tree(config)
    # XLA as for the GAN (config.train.jit_compile: on for the paper preset, off for tiny, where
    # compiling costs more than it saves).
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=config.trn.learning_rate),
                  jit_compile=bool(config.train.jit_compile))

    records: list = run.read_history()
    cbs = run_callbacks(keras, run, records, WEIGHTS_NAME, callbacks)
    model.fit(train_ds, validation_data=val_ds, epochs=epochs, steps_per_epoch=steps_per_epoch,
              callbacks=cbs, verbose=verbose, shuffle=False)  # the datasets shuffle themselves
    return model, list(records)


def load_trn_config(config_path):
    """The :class:`foleygan_tf.config.Config` of a TRN run's ``config.json``.

    Runs written before ``trn.pair_input`` existed used the concatenated pair input: a
    ``config.json`` without that field gets ``pair_input="concat"`` (not the new default), so
    their weights still load."""
    import json

    from foleygan_tf.config import Config

    config = Config.load(config_path)
    with open(config_path) as f:
        raw = json.load(f)
    if "pair_input" not in (raw.get("trn") or {}):
        config.trn.pair_input = "concat"
    return config


def load_trn(run_dir, *, deterministic: bool = True):
    """The trained :class:`ActionRecognizer` of ``run_dir`` (its ``config.json`` + latest weights).

    ``deterministic=True`` (default) makes the MTRN use its expected-value inference mode."""
    from foleygan_tf.models.trn import ActionRecognizer

    config_path = os.path.join(run_dir, "config.json")
    weights_path = os.path.join(run_dir, WEIGHTS_NAME)
    for path in (config_path, weights_path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: not found — is {run_dir} a TRN run directory?")
    config = load_trn_config(config_path)
    config.video.imagenet_weights = ""  # the trained weights replace them
    model = ActionRecognizer.from_config_tree(config, deterministic=deterministic)
    model.load_weights(weights_path)
    return model
