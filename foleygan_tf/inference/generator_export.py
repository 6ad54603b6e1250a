"""SavedModel export of the trained generator (``foleygan export generator``).

:func:`export_generator` loads a ``foleygan train gan`` run directory (``config.json`` + the latest
checkpoint of ``checkpoints/``), takes the **EMA** generator and writes a SavedModel that needs
neither this package nor Keras to run. The spectrogram decoder (inverse scaling, mel un-warp,
Griffin-Lim refinement, ISTFT — :class:`~foleygan_tf.audio.SpectrogramCodec`) and the
post-processing filter run inside the graph, so the SavedModel returns audio.

``serving_default`` (also the module's ``serve`` function):

inputs
  ``z``                  float32 ``[batch, z_dim]`` — latent (already truncated: see ``sample_z``).
  ``class_probs``        float32 ``[batch, C]`` — class condition: a one-hot vector (= the class
                         index) or a probability vector (probability-weighted class embedding).
  ``action_spectrogram`` float32 ``[batch, R, R, 3]`` — S_act of the TRN export.
  ``action_curve``       float32 ``[batch, R]`` — P_act on the R columns (TRN export).

outputs
  ``spectrogram`` float32 ``[batch, R, R, 3]`` in [-1, 1] — G's image (time × frequency × channel).
  ``waveform``    float32 ``[batch, clip_samples]`` at ``sample_rate`` — decoded, post-filtered.

``sample_z`` (second signature): ``seed`` int64 ``[]``, ``num`` int32 ``[]``, ``truncation``
float32 ``[]`` → ``z`` float32 ``[num, z_dim]``: standard normal draws (stateless Philox, fully
determined by the seed) with BigGAN's *true* truncation — every value with ``|z| > truncation``
is redrawn until none is left (as :func:`foleygan_tf.models.sampling.sample_z`; ``truncation ≤ 0``
disables it, ``0 < truncation < 0.04`` is an ``InvalidArgumentError``). The truncation is a
property of how z is drawn, not of G, so it is a separate signature: ``serving_default`` stays a
pure, deterministic function of its four inputs (what TF Serving and the parity tests need).

Post-processing filter (paper §V-B: "post-processing filter of 512 length to the generator output
for lowering the noisy artifacts"; the paper gives nothing else). Our choice, an export option:

* ``lowpass`` (default): a linear-phase FIR low-pass of ``post_filter_length`` taps (default
  ``gan.post_filter_length`` = 512) — a Blackman-windowed sinc with cut-off ``post_filter_cutoff``
  × Nyquist (default 0.75: 16.5 kHz at 44.1 kHz), unit DC gain — applied to the waveform with its
  group delay compensated ("same" convolution, zero-padded edges), so the sound does not move in
  time (an even length leaves a half-sample shift). It removes the hiss GANs leave in the top
  frequency rows while keeping the band where the classes' energy sits.
* ``none``: the decoded waveform as is.

Compute dtype (``dtype``, ``foleygan export generator --dtype``): ``float32`` (default) or
``bfloat16`` — G's convolutions, matmuls and activations then run in bfloat16 (Keras
``mixed_bfloat16``: float32 variables, the spectral norm, BN statistics and the attention softmax in
float32, the output cast back to float32), while the decoder, ISTFT and post-filter stay float32.
The interface is unchanged (float32 in, float32 out); ``compute_dtype`` is recorded in the assets
JSON. On CPUs with AVX512-BF16/AMX it is faster for the large presets; the output differs from
float32 by bf16 rounding (``foleygan bench --only generator`` measures both: benchmarks/README.md).
A generator SavedModel can itself be the source of an export
(:func:`load_generator_from_saved_model`), e.g. to convert a float32 export to bfloat16. The
spectral norm is frozen at export (:func:`freeze_spectral_norm`: ``W / σ(W)`` computed once — ``u``
never changes at inference — instead of a power iteration, a division and a cast over every kernel
on each call).

Not exportable: ``audio.encoding = cqt`` (its inverse is librosa inside ``tf.numpy_function``, which
a SavedModel cannot carry) — refused with a ``ValueError``.

Besides the graph: ``assets/foleygan_generator.json`` (:data:`GENERATOR_METADATA_NAME`; class
names, sample rate, clip length, z_dim, filter, signature description, the full config —
``loaded.metadata_file.asset_path`` after loading) and the variable ``loaded.class_names``.
The export is written to a temporary folder beside OUT_DIR, loaded back and run once, then installed (a previous
SavedModel at OUT_DIR is replaced; any other existing content is refused).
"""

from __future__ import annotations

import json
import os
import tempfile
import time

import numpy as np
import tensorflow as tf

from foleygan_tf.atomic import atomic_directory, write_json
from foleygan_tf.inference.postfilter import DEFAULT_CUTOFF, POST_FILTERS, lowpass_taps

__all__ = ["export_generator", "GeneratorServingModule", "GENERATOR_METADATA_NAME", "COMPUTE_DTYPES",
           "generator_in_dtype", "load_generator_from_run", "load_generator_from_saved_model",
           "is_generator_saved_model", "lowpass_taps", "POST_FILTERS"]

GENERATOR_METADATA_NAME = "foleygan_generator.json"
FORMAT = "foleygan_tf.generator_savedmodel"
FORMAT_VERSION = 1
MIN_TRUNCATION = 0.04  # = foleygan_tf.models.sampling.MIN_TRUNCATION (kept free of Keras imports)
# compute dtype of the exported G → Keras dtype policy it is built under
COMPUTE_DTYPES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}

INPUTS = {
    "z": "float32 [batch, z_dim] latent (truncated by the caller or drawn with sample_z)",
    "class_probs": "float32 [batch, C] one-hot class or class probabilities",
    "action_spectrogram": "float32 [batch, R, R, 3] S_act in [-1, 1] (TRN export)",
    "action_curve": "float32 [batch, R] P_act on the R spectrogram columns (TRN export)",
}
OUTPUTS = {
    "spectrogram": "float32 [batch, R, R, 3] generated spectrogram image in [-1, 1] (EMA generator)",
    "waveform": "float32 [batch, clip_samples] decoded (ISTFT) and post-filtered audio at sample_rate",
}
SAMPLE_Z = {
    "inputs": {"seed": "int64 []", "num": "int32 [] rows to draw",
               "truncation": "float32 [] true truncation threshold (<= 0: none; else >= 0.04)"},
    "outputs": {"z": "float32 [num, z_dim]"},
}


def freeze_spectral_norm(generator) -> list:
    """Replace every spectrally normalised kernel of ``generator`` by a constant ``W / σ(W)``.

    At inference the power-iteration vector ``u`` never changes (it is only written with
    ``training=True``), so ``W / σ(W)`` is a constant; recomputing it on every call costs one
    matrix-vector pass over each kernel, a division and (under bf16) a cast of all ~84 M weights of
    the paper G — ≈ 6–8 % of the CPU time of a batch-1 bf16 forward (measured). This computes it
    once (for G's upsampling convolutions with the upsampling folded in), stores it as a
    non-trainable variable in the layer's compute dtype and sets it as the layer's fixed kernel
    (``set_fixed_kernel``; an instance attribute, not a tracked weight). Same values as
    the per-call computation. Returns the new variables (the caller must track them).

    Only for inference: a frozen generator must not be trained (its kernels no longer follow the
    trainable variables)."""
    from foleygan_tf.models.layers import _SpectralNorm

    frozen = []
    for layer in generator._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, _SpectralNorm) and layer.fixed_kernel is None:
            value = layer.normalized_kernel(training=False)   # with a resampling conv's fold applied
            var = tf.Variable(value, trainable=False, name=f"{layer.name}_frozen_kernel")
            layer.set_fixed_kernel(var)
            frozen.append(var)
    return frozen


class GeneratorServingModule(tf.Module):
    """The exported graph: EMA generator → codec decode (ISTFT) → post-filter.

    ``serve(z, class_probs, action_spectrogram, action_curve)`` and ``sample_z(seed, num,
    truncation)`` as in the module docstring; usable in Python before export too."""

    def __init__(self, generator, config, post_filter: str = "lowpass", post_filter_length: int | None = None,
                 post_filter_cutoff: float = DEFAULT_CUTOFF, metadata_path: str | None = None,
                 freeze_sn: bool = False):
        super().__init__(name="foleygan_generator")
        from foleygan_tf.audio import SpectrogramCodec

        if config.audio.encoding == "cqt":
            raise ValueError("audio.encoding=cqt cannot be exported: its inverse (librosa icqt) runs "
                             "through tf.numpy_function, which a SavedModel cannot hold; train with "
                             "stft, lms, ms or mfcc")
        if post_filter not in POST_FILTERS:
            raise ValueError(f"post_filter must be one of {POST_FILTERS}, got {post_filter!r}")
        self.generator = generator
        # The plain tf.Variables under Keras 3's variables, tracked directly: without this the
        # SavedModel loads with tf.saved_model.load but not in TF1-style sessions (TF Serving,
        # `saved_model_cli run`: "Could not find variable …" — keras-team/keras#20095).
        self.tf_variables = [getattr(v, "value", v) for v in generator.variables]
        # freeze_sn: W/σ computed once (freeze_spectral_norm) — the exported graph skips the
        # per-call power iteration; the variables above are kept (re-export, TF Serving)
        self.frozen_kernels = freeze_spectral_norm(generator) if freeze_sn else []
        self.codec = SpectrogramCodec(config.audio)
        policy = getattr(generator, "dtype_policy", None)
        self.compute_dtype = str(getattr(policy, "compute_dtype", "float32"))
        self.z_dim = int(config.gan.z_dim)
        self.num_classes = int(config.num_classes)
        self.image_size = int(config.audio.image_size)
        self.clip_samples = int(config.audio.clip_samples)
        self.post_filter = post_filter
        length = int(config.gan.post_filter_length if post_filter_length is None else post_filter_length)
        self.post_filter_length = length if post_filter == "lowpass" else 0
        self.post_filter_cutoff = float(post_filter_cutoff) if post_filter == "lowpass" else None
        self._taps = (tf.constant(lowpass_taps(length, post_filter_cutoff)[:, None, None])
                      if post_filter == "lowpass" else None)
        self.class_names = tf.Variable(list(config.class_names), trainable=False, dtype=tf.string,
                                       name="class_names")
        if metadata_path is not None:
            self.metadata_file = tf.saved_model.Asset(metadata_path)
        r = self.image_size
        self.serve = tf.function(self._serve, input_signature=[
            tf.TensorSpec([None, self.z_dim], tf.float32, name="z"),
            tf.TensorSpec([None, self.num_classes], tf.float32, name="class_probs"),
            tf.TensorSpec([None, r, r, 3], tf.float32, name="action_spectrogram"),
            tf.TensorSpec([None, r], tf.float32, name="action_curve")])
        self.sample_z = tf.function(self._sample_z, input_signature=[
            tf.TensorSpec([], tf.int64, name="seed"), tf.TensorSpec([], tf.int32, name="num"),
            tf.TensorSpec([], tf.float32, name="truncation")])

    def filter_waveform(self, wave):
        """The post-processing filter on ``[B, N]`` waves (identity for ``none``)."""
        if self._taps is None:
            return wave
        length = int(self._taps.shape[0])
        left = (length - 1) // 2
        x = tf.pad(wave[:, :, None], [[0, 0], [left, length - 1 - left], [0, 0]])
        return tf.nn.conv1d(x, self._taps, stride=1, padding="VALID")[:, :, 0]

    def _serve(self, z, class_probs, action_spectrogram, action_curve):
        n = tf.shape(z)[0]
        r = self.image_size
        # Restored signatures do not check shapes against their TensorSpecs (TF 2.17): without these
        # a wrong z_dim or image size fails deep inside G with an unrelated op error.
        checks = [tf.debugging.assert_equal(tf.shape(z)[1], self.z_dim,
                                            message=f"z: expected [batch, {self.z_dim}]"),
                  tf.debugging.assert_equal(tf.shape(class_probs)[1], self.num_classes,
                                            message=f"class_probs: expected [batch, {self.num_classes}]"),
                  tf.debugging.assert_equal(tf.shape(action_spectrogram)[1:], tf.constant([r, r, 3]),
                                            message=f"action_spectrogram: expected [batch, {r}, {r}, 3]"),
                  tf.debugging.assert_equal(tf.shape(action_curve)[1], r,
                                            message=f"action_curve: expected [batch, {r}]"),
                  tf.debugging.assert_equal(tf.shape(class_probs)[0], n, message="class_probs: one row per z"),
                  tf.debugging.assert_equal(tf.shape(action_spectrogram)[0], n,
                                            message="action_spectrogram: one per z"),
                  tf.debugging.assert_equal(tf.shape(action_curve)[0], n, message="action_curve: one per z"),
                  tf.debugging.assert_all_finite(z, "z contains NaN or inf")]
        with tf.control_dependencies(checks):  # every input waits for every check
            z, class_probs = tf.identity(z), tf.identity(class_probs)
            action_spectrogram, action_curve = tf.identity(action_spectrogram), tf.identity(action_curve)
        image = self.generator({"z": z, "class": class_probs, "action_spectrogram": action_spectrogram,
                                "action_curve": action_curve}, training=False)
        image = tf.cast(image, tf.float32)
        wave = self.filter_waveform(self.codec.decode(image))
        return {"spectrogram": image, "waveform": tf.ensure_shape(wave, [None, self.clip_samples])}

    def _sample_z(self, seed, num, truncation):
        checks = [tf.debugging.assert_non_negative(num, message="num must be ≥ 0"),
                  tf.debugging.Assert(tf.logical_or(truncation <= 0.0, truncation >= MIN_TRUNCATION),
                                      ["truncation must be <= 0 (none) or >= 0.04, got", truncation])]
        with tf.control_dependencies(checks):
            shape = tf.stack([num, self.z_dim])
        z = tf.random.stateless_normal(shape, seed=tf.stack([seed, tf.constant(0, tf.int64)]))

        def outside(z):
            return tf.logical_and(truncation > 0.0, tf.abs(z) > truncation)

        def body(i, z):
            fresh = tf.random.stateless_normal(shape, seed=tf.stack([seed, tf.cast(i, tf.int64)]))
            return i + 1, tf.where(outside(z), fresh, z)

        _, z = tf.while_loop(lambda i, z: tf.reduce_any(outside(z)), body, (tf.constant(1), z))
        return {"z": z}


def _check_dtype(dtype: str) -> str:
    if dtype not in COMPUTE_DTYPES:
        raise ValueError(f"dtype must be one of {sorted(COMPUTE_DTYPES)}, got {dtype!r}")
    return dtype


def generator_in_dtype(config, dtype: str = "float32", name: str = "ema_generator"):
    """A fresh generator of ``config`` computing in ``dtype`` (``float32`` or ``bfloat16`` = Keras
    ``mixed_bfloat16``: float32 variables, bf16 compute, float32 output)."""
    import keras

    from foleygan_tf.models import build_generator

    policy = COMPUTE_DTYPES[_check_dtype(dtype)]
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        return build_generator(config, name=name)
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


def load_generator_from_run(run_dir: str, dtype: str = "float32"):
    """``(ema_generator, config, checkpoint_path)`` of a ``foleygan train gan`` run directory.

    Restores only the ``ema_generator`` entries of the latest checkpoint (the checkpoint stores
    ``variables_by_index(model)`` dicts — training/gan.py) into a :class:`Generator` computing in
    ``dtype`` (float32 by default, whatever ``train.mixed_precision`` was; variables are float32
    either way); every generator variable must be found. Raises ``FileNotFoundError`` for a
    directory without ``config.json`` or without a checkpoint."""
    from foleygan_tf.config import Config
    from foleygan_tf.training.gan import variables_by_index

    _check_dtype(dtype)
    config_path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f"{config_path}: not found — is {run_dir} a `foleygan train gan` run directory?")
    latest = tf.train.latest_checkpoint(os.path.join(run_dir, "checkpoints"))
    if latest is None:
        raise FileNotFoundError(f"{os.path.join(run_dir, 'checkpoints')}: no checkpoint — train the GAN first")
    config = Config.load(config_path)
    generator = generator_in_dtype(config, dtype)
    status = tf.train.Checkpoint(ema_generator=variables_by_index(generator)).restore(latest)
    status.expect_partial()
    try:
        status.assert_existing_objects_matched()
    except AssertionError as err:
        raise ValueError(f"{latest}: does not match the generator of {config_path} ({str(err)[:200]})") from None
    return generator, config, latest


def is_generator_saved_model(path: str) -> bool:
    """Whether ``path`` holds a generator SavedModel written by :func:`export_generator`."""
    return _is_saved_model(path) and os.path.isfile(os.path.join(path, "assets", GENERATOR_METADATA_NAME))


def load_generator_from_saved_model(export_dir: str, dtype: str = "float32", loaded=None):
    """``(generator, config, metadata)`` rebuilt from a generator SavedModel (this module's export):
    a Keras :class:`Generator` computing in ``dtype`` whose variables are copied from the export's
    ``tf_variables`` (same construction order; every shape is checked). ``loaded``: the
    ``tf.saved_model.load(export_dir)`` object when the caller already has it."""
    from foleygan_tf.config import Config

    _check_dtype(dtype)
    if not is_generator_saved_model(export_dir):
        raise FileNotFoundError(f"{export_dir}: not a generator SavedModel (no saved_model.pb + "
                                f"assets/{GENERATOR_METADATA_NAME})")
    with open(os.path.join(export_dir, "assets", GENERATOR_METADATA_NAME)) as f:
        meta = json.load(f)
    config = Config.from_dict(meta["config"])
    loaded = tf.saved_model.load(export_dir) if loaded is None else loaded
    source = list(loaded.tf_variables)
    generator = generator_in_dtype(config, dtype)
    target = generator.variables
    if len(source) != len(target):
        raise ValueError(f"{export_dir}: {len(source)} variables, the generator of its config has {len(target)}")
    for k, (dst, src) in enumerate(zip(target, source)):
        if tuple(dst.shape) != tuple(src.shape):
            raise ValueError(f"{export_dir}: variable {k} ({dst.path}) has shape {tuple(src.shape)}, "
                             f"expected {tuple(dst.shape)}")
        dst.assign(src)
    return generator, config, meta


def _metadata(config, run_dir, checkpoint, module: GeneratorServingModule) -> dict:
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "block": "generator",
        "class_names": list(config.class_names), "num_classes": int(config.num_classes),
        "sample_rate": int(config.audio.sample_rate), "clip_samples": int(config.audio.clip_samples),
        "clip_seconds": float(config.audio.clip_seconds), "image_size": int(config.audio.image_size),
        "encoding": config.audio.encoding, "z_dim": int(config.gan.z_dim),
        "guidance": config.gan.guidance, "default_truncation": float(config.gan.truncation),
        "weights": "ema_generator", "compute_dtype": module.compute_dtype,
        "spectral_norm": "frozen W/sigma (computed once at export)" if module.frozen_kernels else "per call",
        "post_filter": {"kind": module.post_filter, "length": module.post_filter_length,
                        "cutoff_nyquist": module.post_filter_cutoff,
                        "design": "Blackman-windowed sinc, linear phase, delay compensated, unit DC gain"
                        if module.post_filter == "lowpass" else "none"},
        "signatures": {"serving_default": {"inputs": INPUTS, "outputs": OUTPUTS}, "sample_z": SAMPLE_Z},
        "source_run_dir": os.path.abspath(run_dir), "checkpoint": os.path.basename(checkpoint),
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": config.to_dict(),
    }


def _is_saved_model(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "saved_model.pb"))


def check_out_dir(out_dir) -> str:
    """Absolute ``out_dir``; ``ValueError`` when it exists and is neither empty nor a SavedModel."""
    out = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out) and not (os.path.isdir(out) and (not os.listdir(out) or _is_saved_model(out))):
        raise ValueError(f"{out_dir}: exists and is not a SavedModel directory; refusing to overwrite it")
    return out


def export_generator(run_dir: str, out_dir: str, *, post_filter: str = "lowpass",
                     post_filter_length: int | None = None, post_filter_cutoff: float = DEFAULT_CUTOFF,
                     verify: bool = True, dtype: str = "float32", refine_iters: int | None = None) -> dict:
    """Export the EMA generator of ``run_dir`` (``foleygan train gan``) as a SavedModel in ``out_dir``.

    ``run_dir`` may also be a generator SavedModel (re-export, e.g. with another ``dtype`` or
    filter). ``dtype``: G's compute dtype, ``float32`` or ``bfloat16`` (module docstring).
    ``refine_iters``: Griffin-Lim iterations after the LMS phase integration in the baked-in
    decoder (``audio.lms_refine_iters``; default: the run's own; 0 = G's own phase, a plain ISTFT).
    Returns the metadata dict (also ``out_dir/assets/foleygan_generator.json``). Raises
    ``FileNotFoundError`` (no run / no checkpoint) or ``ValueError`` (busy ``out_dir``, CQT
    encoding, bad filter options, unknown dtype)."""
    _check_dtype(dtype)
    if refine_iters is not None and refine_iters < 0:
        raise ValueError(f"refine_iters must be ≥ 0, got {refine_iters}")
    out = check_out_dir(out_dir)
    if is_generator_saved_model(run_dir):
        if os.path.abspath(run_dir) == out:
            raise ValueError(f"{out_dir}: is the source SavedModel; export to another directory")
        generator, config, source_meta = load_generator_from_saved_model(run_dir, dtype)
        checkpoint = source_meta.get("checkpoint", "")
        run_dir = source_meta.get("source_run_dir", run_dir)
    else:
        generator, config, checkpoint = load_generator_from_run(run_dir, dtype)
    if refine_iters is not None:   # decode-only: the network is the same
        config.audio.lms_refine_iters = int(refine_iters)
    with atomic_directory(out) as tmp, tempfile.TemporaryDirectory(prefix="foleygan_gen_meta_") as staging:
        meta_path = os.path.join(staging, GENERATOR_METADATA_NAME)
        module = GeneratorServingModule(generator, config, post_filter, post_filter_length, post_filter_cutoff,
                                        metadata_path=meta_path, freeze_sn=True)
        meta = _metadata(config, run_dir, checkpoint, module)
        write_json(meta_path, meta)
        tf.saved_model.save(module, tmp, signatures={"serving_default": module.serve,
                                                     "sample_z": module.sample_z})
        if verify:
            loaded = tf.saved_model.load(tmp)
            r = config.audio.image_size
            z = loaded.signatures["sample_z"](seed=tf.constant(0, tf.int64), num=tf.constant(1),
                                              truncation=tf.constant(1.0))["z"]
            got = loaded.signatures["serving_default"](
                z=z, class_probs=tf.one_hot([0], config.num_classes),
                action_spectrogram=tf.zeros([1, r, r, 3]), action_curve=tf.zeros([1, r]))
            wave = got["waveform"].numpy()
            if got["spectrogram"].shape != (1, r, r, 3) or wave.shape != (1, config.audio.clip_samples) \
                    or not np.all(np.isfinite(wave)):
                raise RuntimeError(f"exported SavedModel {tmp} answered with unexpected output: "
                                   f"{ {k: tuple(v.shape) for k, v in got.items()} }")
    return meta
