"""tf.data pipelines from prepared shards (``foleygan prepare``) to the batches each trainer needs.

* :func:`example_dataset` — parsed windows, one dict per window (see :func:`parse_example`).
* :func:`trn_dataset` — ``(frames [B, T, S, S, 3] uint8, label [B] int32)`` for the MTRN / 2TRN
  (``+ pair_weight [B, T − 1]`` with ``trn.pair_target = "audio_onsets"``,
  :func:`foleygan_tf.audio.onsets.pair_onset_weights`).
* :func:`gan_dataset` — dicts ``{"spectrogram": [B, R, R, 3] float32 in [-1, 1] (the real
  spectrogram image, ``SpectrogramCodec.encode`` inside tf.data), "label": [B] int32,
  "fps": [B] float32 (rate of the stored frames), "num_frames": [B] int32,
  "frames": [B, T, S, S, 3] uint8, "wave": [B, N] float32, "events": [B, MAX_EVENTS] float32
  (-1 padded)}`` plus whatever the caller's hooks add: ``map_fn(example) → example`` runs per
  window before batching, ``batch_map_fn(batch) → batch`` after batching and encoding — the place to
  add ``action_spectrogram`` [B, R, R, 3] and ``action_curve`` [B, R] from the TRN block.

Both trainers' datasets: shard files interleaved in parallel, shuffling (files and windows) when
``training``, parallel parsing/decoding, optional ``cache`` (``True`` = memory, or a file path;
the cache holds the parsed, still-compressed windows), ``drop_remainder`` batching (default: when
training — every replica of a ``tf.distribute`` strategy then sees full, equal batches) and
``prefetch(AUTOTUNE)``.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from foleygan_tf.audio.onsets import pair_onset_weights
from foleygan_tf.data.prepare import MANIFEST_NAME, SPLITS

MAX_EVENTS = 32
AUTOTUNE = tf.data.AUTOTUNE


def read_manifest(shards_dir: str) -> dict:
    path = os.path.join(shards_dir, MANIFEST_NAME)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no manifest — run `foleygan prepare DATA_DIR {shards_dir}` first")
    try:
        with open(path) as f:
            manifest = json.load(f)
        manifest["splits"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a readable manifest ({type(err).__name__}: {err}) — re-run foleygan prepare") from None
    return manifest


def shard_files(shards_dir: str, split: str, manifest: dict | None = None) -> list[str]:
    """Paths of the shards of ``split`` listed in the manifest (that have at least one example).

    Each listed shard must exist as a file of the size the manifest recorded: a missing, replaced
    or truncated shard is a one-line error here rather than a TensorFlow traceback mid-epoch."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    manifest = manifest or read_manifest(shards_dir)
    files = []
    for shard in manifest["splits"][split]["shards"]:
        if shard["examples"] <= 0:
            continue
        path = os.path.join(shards_dir, shard["file"])
        if not os.path.isfile(path):
            what = "a directory" if os.path.isdir(path) else "missing"
            raise FileNotFoundError(f"{path}: shard listed in the manifest is {what} — re-run foleygan prepare")
        size = os.path.getsize(path)
        if "bytes" in shard and size != shard["bytes"]:
            raise ValueError(f"{path}: {size} bytes, the manifest says {shard['bytes']} — truncated or changed "
                             "since foleygan prepare; re-run it")
        files.append(path)
    if not files:
        raise ValueError(f"{shards_dir}: the {split!r} split has no examples")
    return files


def parse_example(serialized, manifest: dict) -> dict:
    """One serialized window → ``{"frames": [T, S, S, 3] uint8, "num_frames": int32, "wave": [N]
    float32, "label": int32, "class_name", "clip_id": string, "window_start", "fps", "source_fps",
    "valid_seconds": float32, "events": [MAX_EVENTS] float32 (-1 padded), "num_events": int32,
    "has_events": bool}`` (+ ``"spectrogram"`` [R, R, 3] float32 if the shards store it)."""
    spec = {
        "frames": tf.io.VarLenFeature(tf.string),
        "num_frames": tf.io.FixedLenFeature([], tf.int64),
        "frame_size": tf.io.FixedLenFeature([], tf.int64),
        "fps": tf.io.FixedLenFeature([], tf.float32),
        "source_fps": tf.io.FixedLenFeature([], tf.float32),
        "wave": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64),
        "class_name": tf.io.FixedLenFeature([], tf.string),
        "clip_id": tf.io.FixedLenFeature([], tf.string),
        "window_start": tf.io.FixedLenFeature([], tf.float32),
        "valid_seconds": tf.io.FixedLenFeature([], tf.float32),
        "events": tf.io.VarLenFeature(tf.float32),
        "has_events": tf.io.FixedLenFeature([], tf.int64),
    }
    stored_spec = manifest.get("spectrogram", {}).get("stored", False)
    if stored_spec:
        spec["spectrogram"] = tf.io.FixedLenFeature([], tf.string)
    ex = tf.io.parse_single_example(serialized, spec)
    size = int(manifest["frame_size"])
    n = manifest["clip_samples"]
    encoded = tf.sparse.to_dense(ex["frames"], default_value="")
    if manifest["frame_format"] == "raw":
        frames = tf.reshape(tf.io.decode_raw(encoded[0], tf.uint8), [-1, size, size, 3])
    else:
        frames = tf.map_fn(lambda b: tf.io.decode_jpeg(b, channels=3), encoded,
                           fn_output_signature=tf.TensorSpec([None, None, 3], tf.uint8))
        frames = tf.reshape(frames, [-1, size, size, 3])
    if manifest["frames_per_clip"] > 0:
        frames = tf.ensure_shape(frames, [manifest["frames_per_clip"], size, size, 3])
    events = tf.sparse.to_dense(ex["events"])[:MAX_EVENTS]
    num_events = tf.shape(events)[0]
    events = tf.pad(events, [[0, MAX_EVENTS - num_events]], constant_values=-1.0)
    out = {
        "frames": frames,
        "num_frames": tf.cast(ex["num_frames"], tf.int32),
        "wave": tf.reshape(tf.io.decode_raw(ex["wave"], tf.float32, little_endian=True), [n]),
        "label": tf.cast(ex["label"], tf.int32),
        "class_name": ex["class_name"],
        "clip_id": ex["clip_id"],
        "window_start": ex["window_start"],
        "fps": ex["fps"],
        "source_fps": ex["source_fps"],
        "valid_seconds": ex["valid_seconds"],
        "events": tf.ensure_shape(events, [MAX_EVENTS]),
        "num_events": num_events,
        "has_events": tf.cast(ex["has_events"], tf.bool),
    }
    if stored_spec:
        r = manifest["spectrogram"]["image_size"]
        spectrogram = tf.io.decode_raw(ex["spectrogram"], tf.float16, little_endian=True)
        out["spectrogram"] = tf.cast(tf.reshape(spectrogram, [r, r, 3]), tf.float32)
    return out


def _check_config(manifest: dict, cfg) -> None:
    problems = []
    if cfg.audio.sample_rate != manifest["sample_rate"]:
        problems.append(f"sample rate {manifest['sample_rate']} ≠ config {cfg.audio.sample_rate}")
    if cfg.audio.clip_samples != manifest["clip_samples"]:
        problems.append(f"clip samples {manifest['clip_samples']} ≠ config {cfg.audio.clip_samples}")
    if cfg.video.frame_size != manifest["frame_size"]:
        problems.append(f"frame size {manifest['frame_size']} ≠ config {cfg.video.frame_size}")
    if list(cfg.class_names) != list(manifest["class_names"]):
        problems.append("class names differ from the config's")
    if problems:
        raise ValueError(f"shards were prepared with preset {manifest.get('preset')!r}: " + "; ".join(problems)
                         + " — re-run `foleygan prepare` with this preset")


def example_dataset(shards_dir: str, split: str, cfg=None, training: bool = False, seed: int = 0,
                    cache=False, manifest: dict | None = None) -> tf.data.Dataset:
    """Parsed windows of ``split`` (dicts, see :func:`parse_example`), unbatched.

    ``training``: shard order and windows are shuffled (seeded), interleaving is non-deterministic
    for speed, and the dataset repeats forever. ``cache``: ``True`` (memory) or a file path."""
    manifest = manifest or read_manifest(shards_dir)
    if cfg is not None:
        _check_config(manifest, cfg)
    files = shard_files(shards_dir, split, manifest)
    ds = tf.data.Dataset.from_tensor_slices(files)
    if training:
        ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    ds = ds.interleave(tf.data.TFRecordDataset, cycle_length=min(4, len(files)), num_parallel_calls=AUTOTUNE,
                       deterministic=not training)
    if cache:
        ds = ds.cache(cache if isinstance(cache, str) else "")
    if training:
        ds = ds.repeat()
        ds = ds.shuffle(1024, seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(lambda s: parse_example(s, manifest), num_parallel_calls=AUTOTUNE, deterministic=not training)
    return ds


def _batch(ds, batch_size: int, drop_remainder: bool, manifest: dict):
    if manifest["frames_per_clip"] > 0:
        return ds.batch(batch_size, drop_remainder=drop_remainder, num_parallel_calls=AUTOTUNE)
    # all frames at the source rate: T varies with the source fps → pad to the longest in the batch
    return ds.padded_batch(batch_size, drop_remainder=drop_remainder)


def trn_dataset(shards_dir: str, split: str, cfg, training: bool = False, batch_size: int | None = None,
                seed: int = 0, cache=False, drop_remainder: bool | None = None) -> tf.data.Dataset:
    """``(frames [B, T, S, S, 3] uint8, label [B] int32)`` batches for the TRNs (``B`` defaults to
    ``cfg.trn.batch_size``; ``T`` = ``video.frames_per_clip`` of the shards).

    With ``cfg.trn.pair_target == "audio_onsets"`` the batches are ``(frames, label, pair_weight
    [B, T − 1] float32)``: :func:`pair_onset_weights` of each window's real audio (0 on padded
    pairs), the 2TRN's self-supervised timing target (``ActionRecognizer``)."""
    manifest = read_manifest(shards_dir)
    ds = example_dataset(shards_dir, split, cfg, training=training, seed=seed, cache=cache, manifest=manifest)
    with_weights = cfg.trn.pair_target == "audio_onsets"
    rate = int(manifest["sample_rate"])

    def select(e):
        out = {"frames": e["frames"], "label": e["label"]}
        if with_weights:
            pairs = tf.maximum(tf.shape(e["frames"])[0], 2) - 1
            out["pair_weight"] = pair_onset_weights(e["wave"], e["fps"], pairs, rate)
        return out

    ds = ds.map(select, num_parallel_calls=AUTOTUNE)
    ds = _batch(ds, batch_size or cfg.trn.batch_size, training if drop_remainder is None else drop_remainder,
                manifest)
    if with_weights:
        return ds.map(lambda b: (b["frames"], b["label"], b["pair_weight"]),
                      num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)
    return ds.map(lambda b: (b["frames"], b["label"]), num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)


def gan_dataset(shards_dir: str, split: str, cfg, training: bool = True, batch_size: int | None = None,
                seed: int = 0, cache=False, drop_remainder: bool | None = None, map_fn=None, batch_map_fn=None,
                include_frames: bool = True, include_wave: bool = True) -> tf.data.Dataset:
    """GAN batches (see the module docstring); ``B`` defaults to ``cfg.train.batch_size``.

    The spectrogram is ``SpectrogramCodec(cfg.audio).encode(wave)`` computed per batch inside the
    pipeline (or read from the shards when they store one with the config's encoding)."""
    from foleygan_tf.audio import SpectrogramCodec

    manifest = read_manifest(shards_dir)
    codec = SpectrogramCodec(cfg.audio)
    stored = manifest.get("spectrogram", {})
    use_stored = bool(stored.get("stored")) and stored.get("encoding") == cfg.audio.encoding \
        and stored.get("image_size") == cfg.audio.image_size
    keep = {"label", "events", "wave", "fps", "num_frames"} | ({"frames"} if include_frames else set()) | (
        {"spectrogram"} if use_stored else set())

    def select(e):
        return {k: v for k, v in e.items() if k in keep}

    ds = example_dataset(shards_dir, split, cfg, training=training, seed=seed, cache=cache, manifest=manifest)
    ds = ds.map(select, num_parallel_calls=AUTOTUNE)
    if map_fn is not None:
        ds = ds.map(map_fn, num_parallel_calls=AUTOTUNE)
    ds = _batch(ds, batch_size or cfg.train.batch_size, training if drop_remainder is None else drop_remainder,
                manifest)

    def encode(b):
        if "spectrogram" not in b:
            b = dict(b)
            b["spectrogram"] = codec.encode(b["wave"])
        if not include_wave:
            b = {k: v for k, v in b.items() if k != "wave"}
        return b

    ds = ds.map(encode, num_parallel_calls=AUTOTUNE)
    if batch_map_fn is not None:
        ds = ds.map(batch_map_fn, num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)
