"""The sound-retrieval classifier of the paper's evaluation (§VI-A; reference/metrics.md).

A CNN trained here (no downloaded weights) on spectrogram images of the *real training* clips of
prepared shards. It supplies every number of Tables I–II: its accuracy on real test clips is the
"Real Data" row, its class probabilities feed the Inception Score and its penultimate (pooled)
features the FID.

Input: ``classifier_images(wave)`` = channel 0 (log magnitude) of
``SpectrogramCodec(audio, eval.classifier_encoding).encode(wave)`` — ``[B, R, R, 1]`` in [-1, 1],
computed from the **waveform**, so real clips and the audio of any generator (any encoding) are
judged on the same representation.

Backbone (``eval.classifier_backbone``): ``resnet50`` = ``keras.applications.ResNet50(weights=None,
include_top=False, pooling="avg")`` on the 1-channel image (2048 features; §VI-A); ``small_cnn`` =
four conv3×3-GroupNorm-ReLU-maxpool blocks (32, 64, 128, 128 channels) + global average pooling (128
features), for the tiny preset; ``auto`` = resnet50 when ``audio.image_size ≥ 128``. Head:
dropout 0.2 → ``Dense(num_classes)`` logits; BatchNorm momentum 0.9 (see
:data:`BN_MOMENTUM`). Trained with Adam (``eval.classifier_learning_rate``)
on sparse cross-entropy, ``eval.classifier_batch_size``, ``eval.classifier_epochs`` epochs.

Run directory (``foleygan train classifier``; same layout as the TRN's): ``config.json``,
``history.json`` (one record per epoch), ``checkpoints/epoch-NNN.weights.h5``,
``classifier.weights.h5`` (latest), ``backup/`` (resume), ``tensorboard/``, and after training
``eval.json`` + ``confusion_matrix.png`` on the test split.
"""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

from foleygan_tf.evaluation.confusion import confusion_matrix

__all__ = ["RetrievalClassifier", "build_classifier", "classifier_codec", "classifier_images",
           "evaluate_classifier", "fit_classifier", "load_classifier", "resolve_backbone", "train_classifier_on_shards",
           "WEIGHTS_NAME"]

WEIGHTS_NAME = "classifier.weights.h5"
SMALL_CNN_WIDTHS = (32, 64, 128, 128)
SMALL_CNN_GROUPS = 8     # GroupNorm: no batch statistics, so train and inference modes agree
RESNET_MIN_IMAGE = 128   # "auto": ResNet-50 from this image size up
HEAD_DROPOUT = 0.2
# BatchNorm moving-average momentum of ResNet-50's BN layers (Keras default 0.99): with the few
# hundred updates of a small dataset the 0.99 moving statistics are still near their initial
# values and the inference-mode model predicts one class (measured with BN in the small CNN: test
# accuracy 0.00 after 45 updates — the small CNN therefore uses GroupNorm).
BN_MOMENTUM = 0.9


def resolve_backbone(config) -> str:
    """``eval.classifier_backbone`` with ``auto`` resolved (resnet50 iff image_size ≥ 128)."""
    b = config.eval.classifier_backbone
    if b == "auto":
        return "resnet50" if config.audio.image_size >= RESNET_MIN_IMAGE else "small_cnn"
    return b


def classifier_codec(config):
    """The :class:`SpectrogramCodec` of the classifier input (``eval.classifier_encoding``)."""
    from foleygan_tf.audio import SpectrogramCodec

    return SpectrogramCodec(dataclasses.replace(config.audio, encoding=config.eval.classifier_encoding))


def classifier_images(wave, codec):
    """Waves ``[B, N]`` → classifier input ``[B, R, R, 1]`` float32 (log-magnitude channel)."""
    return codec.encode(wave)[..., :1]


def build_classifier(config):
    """Keras model ``[B, R, R, 1]`` → logits ``[B, C]``; its layer ``"features"`` is the
    penultimate (pooled) feature vector ``[B, D]`` (D = 2048 for ResNet-50, 128 for small_cnn)."""
    import keras
    from keras import layers

    r = int(config.audio.image_size)
    inp = keras.Input((r, r, 1), name="spectrogram")
    backbone = resolve_backbone(config)
    if backbone == "resnet50":
        base = keras.applications.ResNet50(include_top=False, weights=None, input_shape=(r, r, 1),
                                           pooling="avg")
        h = base(inp)
    else:
        h = inp
        for i, width in enumerate(SMALL_CNN_WIDTHS):
            h = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"conv{i}")(h)
            h = layers.GroupNormalization(groups=SMALL_CNN_GROUPS, name=f"gn{i}")(h)
            h = layers.ReLU(name=f"relu{i}")(h)
            h = layers.MaxPooling2D(2, name=f"pool{i}")(h)
        h = layers.GlobalAveragePooling2D(name="gap")(h)
    features = layers.Identity(name="features")(h)
    logits = layers.Dense(int(config.num_classes), name="logits")(layers.Dropout(HEAD_DROPOUT)(features))
    model = keras.Model(inp, logits, name=f"retrieval_classifier_{backbone}")
    for layer in _all_layers(model):
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = BN_MOMENTUM
    return model


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


class RetrievalClassifier:
    """A trained classifier: ``predict_waves(waves [N, clip_samples])`` →
    ``{"probs": [N, C], "features": [N, D]}`` (numpy, batched); ``config`` is its run's config."""

    def __init__(self, model, config):
        import keras
        import tensorflow as tf

        self.config = config
        self.model = model
        self.codec = classifier_codec(config)
        probe = keras.Model(model.input, {"features": model.get_layer("features").output,
                                          "logits": model.output})

        @tf.function(reduce_retracing=True)
        def run(wave):
            out = probe(classifier_images(wave, self.codec), training=False)
            return {"probs": tf.nn.softmax(out["logits"], axis=-1), "features": out["features"]}

        self._run = run

    @property
    def class_names(self) -> list[str]:
        return list(self.config.class_names)

    def predict_waves(self, waves, batch_size: int = 32) -> dict:
        import tensorflow as tf

        waves = np.asarray(waves, np.float32)
        if waves.ndim != 2:
            raise ValueError(f"expected waves [N, samples], got shape {waves.shape}")
        probs, feats = [], []
        for b in range(0, len(waves), batch_size):
            out = self._run(tf.constant(waves[b:b + batch_size]))
            probs.append(out["probs"].numpy())
            feats.append(out["features"].numpy())
        c = int(self.config.num_classes)
        return {"probs": np.concatenate(probs) if probs else np.zeros((0, c), np.float32),
                "features": np.concatenate(feats) if feats else np.zeros((0, 0), np.float32)}


def _wave_dataset(shards_dir, split, config, training, batch_size, seed=0, limit=None):
    """``(images [B, R, R, 1], label [B])`` batches of a split (``training``: shuffled, repeating)."""
    import tensorflow as tf

    from foleygan_tf.data.pipeline import example_dataset

    codec = classifier_codec(config)
    ds = example_dataset(shards_dir, split, config, training=training, seed=seed)
    if limit is not None:
        ds = ds.take(limit)
    ds = ds.map(lambda e: (e["wave"], e["label"]), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=training)
    ds = ds.map(lambda w, y: (classifier_images(w, codec), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def fit_classifier(config, shards_dir, run_dir, *, epochs: int | None = None, verbose: int = 0, callbacks=()):
    """Train the retrieval classifier on ``shards_dir``'s train split (validation: test split) into
    ``run_dir``; re-running resumes (``backup/``) or continues with more ``epochs``.

    Returns ``(model, history)`` (Keras model of :func:`build_classifier`, ``history.json`` records)."""
    import keras
    import tensorflow as tf

    from foleygan_tf.data.pipeline import read_manifest
    from foleygan_tf.training.run_dir import RunDir
    from foleygan_tf.training.trn import run_callbacks

    manifest = read_manifest(shards_dir)
    n_train = int(manifest["splits"]["train"]["examples"])
    n_test = int(manifest["splits"]["test"]["examples"])
    batch = int(config.eval.classifier_batch_size)
    if n_train < 1:
        raise ValueError(f"{shards_dir}: the train split has no examples")
    batch = min(batch, n_train)   # drop_remainder batches: at least one per epoch
    run = RunDir(run_dir)
    run.prepare(config)
    epochs = int(config.eval.classifier_epochs if epochs is None else epochs)
    keras.utils.set_random_seed(int(config.seed))
    train_ds = _wave_dataset(shards_dir, "train", config, True, batch, seed=config.seed)
    val_ds = None
    if n_test:
        val_ds = _wave_dataset(shards_dir, "test", config, False, batch).apply(
            tf.data.experimental.assert_cardinality(math.ceil(n_test / batch)))
    model = build_classifier(config)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=config.eval.classifier_learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=bool(config.train.jit_compile))
    records: list = run.read_history()
    cbs = run_callbacks(keras, run, records, WEIGHTS_NAME, callbacks)
    model.fit(train_ds, validation_data=val_ds, epochs=epochs, steps_per_epoch=max(1, n_train // batch),
              callbacks=cbs, verbose=verbose, shuffle=False)
    return model, list(records)


def load_classifier(run_dir) -> RetrievalClassifier:
    """The trained classifier of a ``foleygan train classifier`` run directory."""
    from foleygan_tf.training.run_dir import finished_run

    config, weights_path = finished_run(run_dir, WEIGHTS_NAME, "`foleygan train classifier`")
    model = build_classifier(config)
    model.load_weights(weights_path)
    return RetrievalClassifier(model, config)


def evaluate_classifier(classifier: RetrievalClassifier, shards_dir, split: str = "test",
                        limit: int | None = None) -> dict:
    """Accuracy of ``classifier`` on the real clips of ``split``: ``accuracy``,
    ``average_accuracy`` (mean of the per-class accuracies: the paper's "average accuracy"),
    ``per_class_accuracy`` (``None`` for absent classes), ``confusion_matrix`` (rows true)."""
    from foleygan_tf.data.pipeline import example_dataset
    from foleygan_tf.evaluation.metrics import retrieval_accuracy

    waves, labels = [], []
    ds = example_dataset(shards_dir, split, classifier.config, training=False)
    for e in (ds.take(limit) if limit is not None else ds):
        waves.append(e["wave"].numpy())
        labels.append(int(e["label"]))
    if not waves:
        raise ValueError(f"{shards_dir}: the {split!r} split has no examples")
    probs = classifier.predict_waves(np.stack(waves))["probs"]
    y = np.asarray(labels)
    names = classifier.class_names
    acc = retrieval_accuracy(probs, y, len(names))
    cm = confusion_matrix(y, probs.argmax(axis=1), len(names))
    return {"split": split, "windows": int(len(y)), "backbone": resolve_backbone(classifier.config),
            "accuracy": acc["accuracy"], "average_accuracy": acc["average_accuracy"],
            "class_names": names,
            "per_class_accuracy": {n: acc["per_class"].get(i) for i, n in enumerate(names)},
            "confusion_matrix": cm.tolist()}


def train_classifier_on_shards(config, shards_dir: str, run_dir: str, *, epochs: int | None = None,
                               verbose: int = 0) -> dict:
    """``foleygan train classifier``: :func:`fit_classifier`, then its test-split accuracy (the
    "Real data" row of ``foleygan evaluate``) as ``RUN_DIR/eval.json`` + ``confusion_matrix.png``.
    Returns ``{"history", "backbone", "seconds", "eval"}`` (``eval`` ``None`` without a test split)."""
    import time

    from foleygan_tf.data.pipeline import read_manifest
    from foleygan_tf.evaluation.confusion import write_eval

    if not os.path.isdir(shards_dir):
        raise FileNotFoundError(f"{shards_dir}: no such folder (run `foleygan prepare DATA_DIR {shards_dir}`)")
    if epochs is not None and epochs < 1:
        raise ValueError(f"epochs must be ≥ 1, got {epochs}")
    manifest = read_manifest(shards_dir)
    t0 = time.perf_counter()
    _, history = fit_classifier(config, shards_dir, run_dir, epochs=epochs, verbose=verbose)
    result = {"history": history, "backbone": resolve_backbone(config), "seconds": time.perf_counter() - t0,
              "eval": None}
    if int(manifest["splits"]["test"]["examples"]):
        result["eval"] = evaluate_classifier(load_classifier(run_dir), shards_dir, "test")
        write_eval(result["eval"], run_dir,
                   title=f"retrieval classifier: test accuracy {result['eval']['accuracy']:.3f}")
    return result
