"""Per-frame feature extractors (paper §IV-A, §V-B "output of the conv5 layer of the ResNet-50").

:func:`build_frame_encoder` returns a ``keras.Model`` mapping uint8 RGB frames
``[batch, frame_size, frame_size, 3]`` to features ``[batch, feature_dim]``; preprocessing is part
of the model, so callers feed raw frames. The backbone is chosen by ``backbone`` (``video.backbone``):

* ``"resnet50"`` — ``keras.applications.ResNet50(include_top=False, pooling="avg")``: conv5 after
  global average pooling, 2048-d. Preprocessing is Keras' ``"caffe"`` ResNet-50 convention
  (RGB→BGR, minus the ImageNet channel means), the one the ImageNet weights were trained with.
  Weights are never downloaded: the network is built with ``weights=None`` and, when
  ``imagenet_weights`` (``video.imagenet_weights``) names a local file (Keras' ``…_notop.h5`` or a
  ``.weights.h5`` saved by :func:`save_backbone_weights`), they are loaded from it.
* ``"small_cnn"`` — a 4-stage strided CNN for the tiny/small presets whose last stage has
  ``feature_dim`` channels, global average pooled → ``feature_dim``. Input scaled to [-1, 1].

Both are trainable (the paper fine-tunes ResNet-50 on the dataset, §IV-A). BatchNorm: with
pretrained weights the ResNet-50 BatchNorm layers are frozen (inference mode, fixed statistics and
affine parameters) while every convolution is fine-tuned — TSN's "partial BN" practice, since
per-device batches of frames from few clips give poor batch statistics. Without pretrained weights
BatchNorm trains normally. ``freeze_batchnorm`` overrides the automatic choice.
"""

from __future__ import annotations

import os

import keras
from keras import ops

__all__ = ["build_frame_encoder", "build_motion_encoder", "motion_feature_width", "save_backbone_weights",
           "IMAGENET_BGR_MEANS", "BACKBONES", "CaffePreprocess", "MOTION_FEATURE_DIM"]

BACKBONES = ("resnet50", "small_cnn")
IMAGENET_BGR_MEANS = (103.939, 116.779, 123.68)  # keras.applications.imagenet_utils "caffe" mode
RESNET50_FEATURE_DIM = 2048
MOTION_FEATURE_DIM = 256   # cap on the motion encoder's last width (2× this after pooling)


@keras.saving.register_keras_serializable(package="foleygan_tf")
class CaffePreprocess(keras.layers.Layer):
    """RGB in [0, 255] (uint8 or float) → float32 BGR minus the ImageNet means (ResNet-50 "caffe")."""

    def call(self, x):
        x = ops.flip(ops.cast(x, "float32"), axis=-1)
        return x - ops.convert_to_tensor(IMAGENET_BGR_MEANS, dtype="float32")

    def compute_output_shape(self, input_shape):
        return input_shape


def build_frame_encoder(backbone: str, frame_size: int, feature_dim: int, imagenet_weights: str = "", *,
                        freeze_batchnorm: bool | None = None, name: str | None = None):
    """The frame feature extractor ``backbone`` (:data:`BACKBONES`).

    Args:
      backbone, frame_size, feature_dim, imagenet_weights: the ``video.*`` fields of the same names.
      freeze_batchnorm: ResNet-50 only; ``None`` → freeze iff ImageNet weights were loaded.
      name: model name (default ``"<backbone>_encoder"``).

    Returns:
      ``keras.Model``: uint8 ``[batch, S, S, 3]`` → float32 ``[batch, feature_dim]``
      (``S = frame_size``; ``feature_dim`` is 2048 for ResNet-50).

    Raises:
      ValueError: unknown backbone, or ``feature_dim`` ≠ 2048 with ResNet-50.
      FileNotFoundError: ``imagenet_weights`` is set but the file does not exist.
    """
    if backbone == "resnet50":
        return _build_resnet50(frame_size, feature_dim, imagenet_weights, freeze_batchnorm=freeze_batchnorm,
                               name=name)
    if backbone == "small_cnn":
        return _build_small_cnn(frame_size, feature_dim, name=name)
    raise ValueError(f"video.backbone must be one of {BACKBONES}, got {backbone!r}")


def _build_resnet50(frame_size, feature_dim, imagenet_weights, *, freeze_batchnorm, name):
    if feature_dim != RESNET50_FEATURE_DIM:
        raise ValueError(f"video.feature_dim must be {RESNET50_FEATURE_DIM} for the resnet50 backbone "
                         f"(conv5 after global average pooling), got {feature_dim}")
    size = int(frame_size)
    resnet = keras.applications.ResNet50(include_top=False, weights=None, pooling="avg",
                                         input_shape=(size, size, 3))
    path = imagenet_weights
    loaded = False
    if path:
        path = os.path.expanduser(os.fspath(path))
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"{path}: video.imagenet_weights file not found (nothing is downloaded; set the field "
                f"to a local ResNet-50 no-top weights file, or to \"\" for random initialisation)")
        try:
            resnet.load_weights(path)
        except Exception as err:  # noqa: BLE001 - re-raised with the file named
            raise ValueError(f"{path}: cannot load ResNet-50 (no-top) weights: {err}") from err
        loaded = True
    if freeze_batchnorm is None:
        freeze_batchnorm = loaded
    if freeze_batchnorm:
        for layer in resnet.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
    inputs = keras.Input((size, size, 3), dtype="uint8", name="frames")
    x = CaffePreprocess(name="caffe_preprocess")(inputs)
    feats = resnet(x)
    return keras.Model(inputs, feats, name=name or "resnet50_encoder")


def _build_small_cnn(frame_size, feature_dim, *, name):
    size, dim = int(frame_size), int(feature_dim)
    if dim < 8:
        raise ValueError(f"video.feature_dim must be ≥ 8 for small_cnn, got {dim}")
    widths = [max(8, dim // 8), max(8, dim // 4), max(8, dim // 2), dim]
    inputs = keras.Input((size, size, 3), dtype="uint8", name="frames")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scale_to_pm1")(inputs)
    for i, width in enumerate(widths):
        x = keras.layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False, name=f"conv{i + 1}")(x)
        # momentum 0.9: the moving statistics follow short CPU trainings (Keras' 0.99 lags them).
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{i + 1}")(x)
        x = keras.layers.ReLU(name=f"relu{i + 1}")(x)
    feats = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, feats, name=name or "small_cnn_encoder")


def motion_feature_width(feature_dim: int) -> int:
    """Width of :func:`build_motion_encoder`'s output: ``2·min(feature_dim, 256)`` (average and
    max pooling of its last ``min(feature_dim, 256)`` channels; ``feature_dim`` = ``video.feature_dim``)."""
    return 2 * min(int(feature_dim), MOTION_FEATURE_DIM)


def build_motion_encoder(frame_size: int, feature_dim: int, *, name: str | None = None):
    """The 2TRN's motion stream for ``trn.pair_input = "rgb_difference"`` (TSN's "RGB difference"
    modality, Wang et al. 2016): float32 frame differences ``frame_t+1 − frame_t`` scaled to
    [-1, 1], ``[batch, S, S, 3]`` → ``[batch, 2·d]`` with ``d = min(video.feature_dim, 256)``
    (:func:`motion_feature_width`).

    Four stride-2 3×3 conv → BatchNorm → ReLU stages (widths d/8, d/4, d/2, d, as ``small_cnn``),
    then global average **and** max pooling concatenated: a still pair gives an all-zero input,
    and a change confined to a few pixels (a clock hand, a heel) survives the max pool where the
    average of a whole-frame feature vector would wash it out. Our choice (docs/trn.md).
    """
    size, dim = int(frame_size), motion_feature_width(feature_dim) // 2
    widths = [max(8, dim // 8), max(8, dim // 4), max(8, dim // 2), max(8, dim)]
    inputs = keras.Input((size, size, 3), dtype="float32", name="frame_differences")
    x = inputs
    for i, width in enumerate(widths):
        x = keras.layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False, name=f"conv{i + 1}")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{i + 1}")(x)
        x = keras.layers.ReLU(name=f"relu{i + 1}")(x)
    feats = keras.layers.Concatenate(name="avg_max")([keras.layers.GlobalAveragePooling2D(name="avg_pool")(x),
                                                      keras.layers.GlobalMaxPooling2D(name="max_pool")(x)])
    return keras.Model(inputs, feats, name=name or "motion_encoder")


def save_backbone_weights(encoder, path: str | os.PathLike) -> None:
    """Save the ResNet-50 inside ``encoder`` (from :func:`build_frame_encoder`) as a no-top weights
    file that ``video.imagenet_weights`` can point to (``path`` must end in ``.weights.h5``)."""
    from foleygan_tf.atomic import atomic_path

    inner = [layer for layer in encoder.layers if isinstance(layer, keras.Model)]
    target = inner[0] if inner else encoder
    with atomic_path(path, suffix=".weights.h5") as tmp:
        target.save_weights(tmp)
