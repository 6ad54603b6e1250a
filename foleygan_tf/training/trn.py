"""Training the video action-recognition block (paper §V-B: "We train … MTRN …, 2TRN … separately";
Adam, lr 1e-3, batch 128, 100 epochs).

:func:`fit_trn` trains an :class:`foleygan_tf.models.ActionRecognizer` in its two stages
(``models.action_recognizer``): ``class`` (backbone + MTRN, ``trn.epochs``) then ``pair`` (2TRN on
the frozen backbone, ``trn.pair_epochs``), each ``model.fit`` with its own Adam, on any
``tf.data.Dataset`` of ``(frames, label[, pair_weight])`` batches — ``frames`` uint8
``[B, T, H, W, 3]``, ``label`` int ``[B]`` (dict elements with keys ``frames`` and
``label``/``class``/``class_index`` are accepted too, and an optional ``num_frames`` [B] for
padded batches of clips of different lengths).

The run directory gets:

* ``config.json`` — the full config (``training.run_dir``: a rerun resumes with it);
* ``history.json`` — one record per epoch: ``stage``, ``epoch`` (within the stage), ``step``
  (= ``optimizer_updates`` of the stage's optimizer: no accumulation), ``loss`` and ``accuracy``
  (class stage) or ``pair_accuracy`` (pair stage), their ``val_…`` counterparts, ``seconds``;
* ``checkpoints/<stage>-epoch-NNN.weights.h5`` — weights after every epoch, and
  ``trn.weights.h5`` — the latest (what :func:`load_trn` and exports read);
* ``backup/<stage>/`` — ``keras.callbacks.BackupAndRestore`` state (kept after the run): a killed
  run restarted with the same ``run_dir`` resumes at the last finished epoch of its stage (optimizer
  state included), and a finished run called again with more epochs continues;
* ``tensorboard/<stage>/`` — TensorBoard logs.
"""

from __future__ import annotations

import os
import time

__all__ = ["fit_trn", "train_trn_on_shards", "load_trn", "run_callbacks", "as_frames_labels", "WEIGHTS_NAME"]

WEIGHTS_NAME = "trn.weights.h5"
LABEL_KEYS = ("label", "class", "class_index", "labels")


def as_frames_labels(ds):
    """Map a dataset of dict elements to ``(frames, label[, pair_weight])`` tuples; tuples pass through."""
    spec = ds.element_spec
    if isinstance(spec, dict):
        if "frames" not in spec:
            raise ValueError(f"dataset elements need a 'frames' entry, got keys {sorted(spec)}")
        key = next((k for k in LABEL_KEYS if k in spec), None)
        if key is None:
            raise ValueError(f"dataset elements need one of {LABEL_KEYS}, got keys {sorted(spec)}")

        def pick(d):
            frames = {"frames": d["frames"], "num_frames": d["num_frames"]} if "num_frames" in spec else d["frames"]
            return (frames, d[key]) + ((d["pair_weight"],) if "pair_weight" in spec else ())

        return ds.map(pick)
    if isinstance(spec, tuple) and len(spec) >= 2:
        return ds
    raise ValueError(f"expected a dataset of (frames, label) or dicts, got element spec {spec}")


def _history_callback(keras, run, records: list, stage: str | None):
    class HistoryJSON(keras.callbacks.Callback):
        """Append one record per epoch to ``history.json`` (atomic rewrite)."""

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.time()

        def on_epoch_end(self, epoch, logs=None):
            updates = int(self.model.optimizer.iterations.numpy())
            record = ({"stage": stage} if stage else {}) | {"step": updates, "optimizer_updates": updates,
                                                            "epoch": epoch + 1}
            record.update({k: float(v) for k, v in (logs or {}).items()
                           if isinstance(v, (int, float)) or hasattr(v, "__float__")})
            record["seconds"] = round(time.time() - self._t0, 3)
            # a resumed run may redo an epoch: keep one record per (stage, epoch), the newest
            records[:] = [r for r in records if r.get("stage") != stage or r.get("epoch", 0) < epoch + 1] + [record]
            run.write_history(records)

    return HistoryJSON()


def _latest_weights_callback(keras, path: str):
    from foleygan_tf.atomic import atomic_path

    class SaveLatest(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            with atomic_path(path, suffix=".weights.h5") as tmp:
                self.model.save_weights(tmp)

    return SaveLatest()


def run_callbacks(keras, run, records: list, weights_name: str, extra=(), stage: str | None = None) -> list:
    """The callbacks of a resumable ``model.fit`` into the run directory ``run``: BackupAndRestore
    (kept after the run, ``delete_checkpoint=False``: a later call with more epochs continues), a
    weights file per epoch, the latest weights as ``weights_name``, TensorBoard and the
    ``history.json`` records, then ``extra``. ``stage``: a training stage with its own backup,
    checkpoints and TensorBoard folder. Shared by :func:`fit_trn` and the evaluation classifier."""
    sub = (lambda *parts: os.path.join(*parts, stage)) if stage else os.path.join
    prefix = f"{stage}-" if stage else ""
    return [
        keras.callbacks.BackupAndRestore(sub(run.path, "backup"), delete_checkpoint=False),
        keras.callbacks.ModelCheckpoint(os.path.join(run.checkpoint_dir, prefix + "epoch-{epoch:03d}.weights.h5"),
                                        save_weights_only=True),
        _latest_weights_callback(keras, os.path.join(run.path, weights_name)),
        keras.callbacks.TensorBoard(sub(run.tensorboard_dir), write_graph=False, profile_batch=0),
        _history_callback(keras, run, records, stage),
        *extra,
    ]


def _check_staged(run, records: list) -> None:
    """A schema-1 TRN run (MTRN and 2TRN trained jointly, one backup) loads and exports, but its
    training cannot continue in stages: refuse rather than retrain it from scratch."""
    if os.path.isfile(os.path.join(run.path, "backup", "training_metadata.json")) or any(
            "stage" not in r for r in records):
        raise ValueError(f"{run.path}: a TRN run whose MTRN and 2TRN were trained jointly (config schema 1); it "
                         "loads, exports and guides GAN training, but cannot continue training — train a new run "
                         "directory")


def fit_trn(config, train_ds, val_ds, run_dir, *, epochs: int | None = None, pair_epochs: int | None = None,
            steps_per_epoch: int | None = None, verbose: int = 0, callbacks=(), model=None):
    """Train the action recognizer described by ``config`` in its two stages and record the run in
    ``run_dir`` (re-running with the same directory resumes).

    Args:
      config: a :class:`foleygan_tf.config.Config` (``video``, ``trn``, ``num_classes``, ``seed``).
      train_ds: batched ``tf.data.Dataset`` of ``(frames uint8 [B, T, H, W, 3], label int [B]
        [, pair_weight [B, T − 1]])`` (``pair_weight`` with ``trn.pair_target = "audio_onsets"``).
      val_ds: the same for validation, or ``None``.
      run_dir: output directory (created).
      epochs, pair_epochs: epochs of the class and pair stages (default ``trn.epochs``,
        ``trn.pair_epochs``).
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

    from foleygan_tf.models import build_action_recognizer
    from foleygan_tf.training.run_dir import RunDir

    if steps_per_epoch is None and int(train_ds.cardinality()) == int(tf.data.INFINITE_CARDINALITY):
        raise ValueError("the training dataset repeats forever: pass steps_per_epoch "
                         "(e.g. ceil(training windows / batch size))")
    run = RunDir(run_dir)
    records: list = run.read_history()
    if records:
        _check_staged(run, records)
    run.prepare(config)
    keras.utils.set_random_seed(int(config.seed))
    train_ds = as_frames_labels(train_ds)
    val_ds = as_frames_labels(val_ds) if val_ds is not None else None
    model = model or build_action_recognizer(config)
    stages = (("class", config.trn.epochs if epochs is None else epochs),
              ("pair", config.trn.pair_epochs if pair_epochs is None else pair_epochs))
    for stage, stage_epochs in stages:
        if stage_epochs < 1:   # e.g. the MTRN alone first (a fit of 0 epochs would still leave a backup)
            continue
        model.set_stage(stage)
        # XLA as for the GAN (train.jit_compile: on for the paper preset, off for tiny, where
        # compiling costs more than it saves). A fresh Adam per stage.
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=config.trn.learning_rate),
                      jit_compile=bool(config.train.jit_compile))
        # build the optimizer on the stage's variables now: Keras would build it on all of them,
        # and the saved backup of the stage (its slots) would then not load on a resume
        model.optimizer.build(model.stage_variables())
        # BackupAndRestore records the restored epoch on the model (Keras' private _initial_epoch),
        # where the next stage's fit would start from it: each stage starts from its own backup
        model._initial_epoch = None
        model.fit(train_ds, validation_data=val_ds, epochs=int(stage_epochs), steps_per_epoch=steps_per_epoch,
                  callbacks=run_callbacks(keras, run, records, WEIGHTS_NAME, callbacks, stage=stage),
                  verbose=verbose, shuffle=False)  # the datasets shuffle themselves
    return model, list(records)


def load_trn(run_dir, *, deterministic: bool = True):
    """The trained :class:`ActionRecognizer` of ``run_dir`` (its ``config.json`` + latest weights;
    runs of every config schema load). ``deterministic=True`` (default) makes the MTRN use its
    expected-value inference mode."""
    from foleygan_tf.models import build_action_recognizer
    from foleygan_tf.training.run_dir import finished_run

    config, weights_path = finished_run(run_dir, WEIGHTS_NAME, "`foleygan train trn`")
    config.video.imagenet_weights = ""  # the trained weights replace them
    model = build_action_recognizer(config, deterministic=deterministic)
    model.load_weights(weights_path)
    return model


def train_trn_on_shards(config, shards_dir: str, run_dir: str, *, epochs: int | None = None,
                        pair_epochs: int | None = None, evaluate: bool = True, verbose: int = 0) -> dict:
    """``foleygan train trn``: train on ``shards_dir``'s train split (validation: its test split),
    then evaluate the deterministic model on the test split (``RUN_DIR/eval.json`` and
    ``confusion_matrix.png``, :mod:`foleygan_tf.evaluation.trn_eval`).

    Returns ``{"history", "train_windows", "test_windows", "batch_size", "seconds", "eval"}``
    (``eval`` is ``None`` without a test split or with ``evaluate=False``)."""
    import math

    import tensorflow as tf

    from foleygan_tf.data.pipeline import read_manifest, trn_dataset

    if not os.path.isdir(shards_dir):
        raise FileNotFoundError(f"{shards_dir}: no such folder (run `foleygan prepare DATA_DIR {shards_dir}`)")
    for name, value in (("epochs", epochs), ("pair epochs", pair_epochs)):
        if value is not None and value < 1:
            raise ValueError(f"{name} must be ≥ 1, got {value}")
    manifest = read_manifest(shards_dir)
    n_train = int(manifest["splits"]["train"]["examples"])
    n_test = int(manifest["splits"]["test"]["examples"])
    if n_train == 0:
        raise ValueError(f"{shards_dir}: the train split has no examples")
    batch = int(config.trn.batch_size)
    train_ds = trn_dataset(shards_dir, "train", config, training=True, batch_size=batch, seed=config.seed)
    val_ds = None
    if n_test:
        # the manifest knows the size: tell tf.data (Keras warns "ran out of data" otherwise)
        val_ds = trn_dataset(shards_dir, "test", config, training=False, batch_size=batch).apply(
            tf.data.experimental.assert_cardinality(math.ceil(n_test / batch)))
    t0 = time.perf_counter()
    _, history = fit_trn(config, train_ds, val_ds, run_dir, epochs=epochs, pair_epochs=pair_epochs,
                         steps_per_epoch=max(1, math.ceil(n_train / batch)), verbose=verbose)
    result = {"history": history, "train_windows": n_train, "test_windows": n_test, "batch_size": batch,
              "seconds": time.perf_counter() - t0, "eval": None}
    if n_test and evaluate:
        from foleygan_tf.evaluation.confusion import write_eval
        from foleygan_tf.evaluation.trn_eval import evaluate_trn

        result["eval"] = evaluate_trn(load_trn(run_dir, deterministic=True), shards_dir, config, batch_size=batch)
        write_eval(result["eval"], run_dir)
    return result
