"""``foleygan prepare``: a video dataset → sharded TFRecords + a manifest (docs/dataset.md).

Input: a folder in AFD layout (``ROOT/<class>/<clip>.<mp4|mov|avi|mkv|webm>``, optionally with a
``<clip>.json`` sidecar carrying ``events``) or a CSV manifest ``path,label[,start,end]`` (paths
relative to the CSV's folder; label a class name or index; start/end in seconds).

Per clip (in worker processes, no TensorFlow): frames are decoded with OpenCV and resized to
``video.frame_size``; the audio track is decoded with PyAV, downmixed to mono and resampled to
``audio.sample_rate``; the clip is cut into windows of ``audio.clip_seconds`` every ``hop``
seconds. Each window becomes one ``tf.train.Example`` (fields in :data:`FEATURES`).

Split: a clip goes to ``train`` when the first 8 bytes of ``sha256(clip_id)`` (as a fraction of
2^64) are below ``train_fraction``, else to ``test`` — deterministic, independent of the other
clips, and all windows of a clip land in the same split.

Shards: the clips of a split, sorted by clip id, are grouped ``shard_size`` clips per shard
(``<split>-<i>-of-<n>.tfrecord``). A shard is written to a temporary (``foleygan_tf.atomic``) and
renamed when complete; then its record (counts, sha256, skipped files, a fingerprint of its inputs and options)
is written atomically to ``.progress/<name>.json``. A re-run skips every shard whose record and
checksum match, so a killed run resumes, and no ``*.tfrecord`` is ever partial. Bad inputs (empty,
truncated, not a video, no audio track, too short) are skipped and listed with their reason in
``manifest.json``.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
import os
import time

import numpy as np

from foleygan_tf.atomic import atomic_path
from foleygan_tf.video.frames import VIDEO_EXTENSIONS

MANIFEST_NAME = "manifest.json"
PROGRESS_DIR = ".progress"
FORMAT_VERSION = 1
SPLITS = ("train", "test")

# name → (kind, description); the single description of the record format (docs/dataset.md).
FEATURES = {
    "frames": ("bytes_list", "T JPEG images (frame_format=jpeg) or one raw uint8 [T, S, S, 3] blob (raw)"),
    "num_frames": ("int64", "T, frames stored for this window"),
    "frame_size": ("int64", "S, frame side in pixels (video.frame_size)"),
    "fps": ("float", "frame rate of the stored frames (T / clip_seconds when resampled); frame i is at i / fps"),
    "source_fps": ("float", "frame rate of the source video"),
    "wave": ("bytes", "float32 little-endian [clip_samples] mono waveform at sample_rate"),
    "sample_rate": ("int64", "audio.sample_rate"),
    "spectrogram": ("bytes", "optional (--spectrogram): float16 [R, R, 3] SpectrogramCodec.encode(wave)"),
    "label": ("int64", "class index into manifest class_names"),
    "class_name": ("bytes", "class name"),
    "clip_id": ("bytes", "relative path of the source clip (+ #start-end for CSV segments)"),
    "window_start": ("float", "seconds from the start of the clip (segment) to this window"),
    "valid_seconds": ("float", "seconds of real content in the window (< clip_seconds when padded)"),
    "events": ("float_list", "sidecar event times inside the window, in window seconds (may be empty)"),
    "has_events": ("int64", "1 when the clip had a sidecar with events (even if none fall in this window)"),
}


@dataclasses.dataclass(frozen=True)
class ClipTask:
    """One source clip (picklable, for the worker pool)."""

    path: str                 # absolute path
    clip_id: str              # relative path (+ #start-end)
    label: int
    class_name: str
    start: float = 0.0
    end: float | None = None


@dataclasses.dataclass(frozen=True)
class PrepareOptions:
    sample_rate: int
    clip_seconds: float
    frame_size: int
    frames_per_clip: int
    hop_seconds: float
    min_seconds: float
    frame_format: str = "jpeg"
    jpeg_quality: int = 90

    @property
    def clip_samples(self) -> int:
        return int(round(self.sample_rate * self.clip_seconds))


class SkipClip(Exception):
    """A clip that cannot be used; the message is the reason recorded in the manifest."""


# ---------------------------------------------------------------------------------------------
# discovering the input
# ---------------------------------------------------------------------------------------------

def split_of(clip_id: str, train_fraction: float) -> str:
    """``train`` or ``test``: sha256 of the clip id, first 8 bytes as a fraction of 2^64."""
    h = int.from_bytes(hashlib.sha256(clip_id.encode("utf-8")).digest()[:8], "big")
    return "train" if h / 2.0 ** 64 < train_fraction else "test"


def _label(name: str, class_names, where: str) -> tuple[int, str]:
    if name in class_names:
        return class_names.index(name), name
    if name.strip().lstrip("-").isdigit():
        i = int(name)
        if 0 <= i < len(class_names):
            return i, class_names[i]
    raise ValueError(f"{where}: unknown class {name!r}; the config has {len(class_names)} classes "
                     f"({', '.join(class_names[:12])}{'…' if len(class_names) > 12 else ''}); set yours with "
                     f"--set num_classes=N --set class_names=a,b,…")


def discover(source: str, class_names) -> tuple[list[ClipTask], list[dict]]:
    """Clips of a folder in AFD layout or of a CSV manifest, and files skipped at discovery."""
    source = os.path.abspath(source)
    skipped: list[dict] = []
    tasks: list[ClipTask] = []
    if os.path.isfile(source) and source.lower().endswith(".csv"):
        root = os.path.dirname(source)
        with open(source, newline="") as f:
            rows = [r for r in csv.reader(f) if r and not r[0].lstrip().startswith("#")]
        if rows and rows[0][0].strip().lower() == "path":
            rows = rows[1:]
        for n, row in enumerate(rows, 1):
            where = f"{source}, row {n}"
            if len(row) < 2:
                raise ValueError(f"{where}: expected path,label[,start,end], got {row!r}")
            rel = row[0].strip()
            label, name = _label(row[1].strip(), list(class_names), where)
            start = float(row[2]) if len(row) > 2 and row[2].strip() else 0.0
            end = float(row[3]) if len(row) > 3 and row[3].strip() else None
            if end is not None and end <= start:
                raise ValueError(f"{where}: end ({end}) must be after start ({start})")
            path = rel if os.path.isabs(rel) else os.path.join(root, rel)
            cid = os.path.relpath(path, root) if not os.path.isabs(rel) else rel
            if start or end is not None:
                cid += f"#{start:g}-{'' if end is None else f'{end:g}'}"
            tasks.append(ClipTask(os.path.abspath(path), cid, label, name, start, end))
        return tasks, skipped
    if not os.path.isdir(source):
        raise FileNotFoundError(f"{source}: not a folder (ROOT/<class>/<clip>.mp4) or a .csv manifest")
    folders = sorted(d for d in os.listdir(source)
                     if os.path.isdir(os.path.join(source, d)) and not d.startswith("."))
    if not folders:
        raise ValueError(f"{source}: no class folders (expected ROOT/<class>/<clip>.mp4)")
    for cls in folders:
        label, name = _label(cls, list(class_names), os.path.join(source, cls))
        for dirpath, dirnames, filenames in os.walk(os.path.join(source, cls)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for fn in sorted(filenames):
                if fn.startswith(".") or ".tmp-" in fn:
                    continue
                path = os.path.join(dirpath, fn)
                rel = os.path.relpath(path, source).replace(os.sep, "/")
                if fn.lower().endswith(VIDEO_EXTENSIONS):
                    tasks.append(ClipTask(path, rel, label, name))
                elif not fn.lower().endswith((".json", ".txt", ".md", ".csv")):
                    skipped.append({"path": rel, "reason": "not a video file extension"})
    return tasks, skipped


# ---------------------------------------------------------------------------------------------
# one clip → windows (runs in workers; no TensorFlow)
# ---------------------------------------------------------------------------------------------

def _sidecar_events(path: str) -> list[float] | None:
    side = os.path.splitext(path)[0] + ".json"
    if not os.path.exists(side):
        return None
    try:
        with open(side) as f:
            data = json.load(f)
        events = data.get("events")
        return [float(e) for e in events] if isinstance(events, list) else None
    except (OSError, ValueError, TypeError):
        return None


def decode_audio_track(path: str, sample_rate: int) -> np.ndarray:
    """Mono float32 ``[N]`` at ``sample_rate`` from a video's first audio track; an unreadable
    track becomes a :class:`SkipClip` with the loader's one-line reason."""
    from foleygan_tf.audio.io import AudioFileError, load_audio

    try:
        return load_audio(path, sample_rate)
    except AudioFileError as err:
        raise SkipClip(err.problem) from None


def _audio_duration_check(path: str) -> None:
    import av

    try:
        with av.open(path) as c:
            if not c.streams.video:
                raise SkipClip("no video track")
            if not c.streams.audio:
                raise SkipClip("no audio track")
    except SkipClip:
        raise
    except Exception as err:  # noqa: BLE001 - any demuxer failure
        # the OS/FFmpeg message without errno and the repeated path (which FFmpeg quotes with " when it
        # holds a ', so the path cannot be split off reliably: prefer strerror)
        msg = getattr(err, "strerror", None) or str(err).split(": '", 1)[0].split("] ", 1)[-1]
        raise SkipClip(f"not a readable video ({type(err).__name__}: {msg[:120]})") from None


# The last clip a worker decoded: CSV segments of one long video (a film cut into windows of a
# few seconds by start/end rows) then decode it once per worker instead of once per segment.
_LAST_DECODED: dict = {}


def _decoded_clip(path: str, opt: PrepareOptions) -> tuple[np.ndarray, float, np.ndarray]:
    """``(frames [T, S, S, 3] uint8, fps, wave [N] float32)`` of the whole file at ``path``, or
    :class:`SkipClip` with the reason."""
    from foleygan_tf.video.frames import read_frames

    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size, opt.frame_size, opt.sample_rate)
    if key in _LAST_DECODED:
        return _LAST_DECODED[key]
    _LAST_DECODED.clear()   # before decoding: never two films in memory
    _audio_duration_check(path)
    try:
        frames, fps = read_frames(path, frame_size=opt.frame_size)
    except (ValueError, OSError) as err:
        raise SkipClip(f"video cannot be decoded: {str(err).split(': ', 1)[-1]}") from None
    try:
        wave = decode_audio_track(path, opt.sample_rate)
    except SkipClip:
        raise
    except (ValueError, OSError) as err:
        raise SkipClip(f"audio cannot be decoded: {str(err).splitlines()[0][:160]}") from None
    _LAST_DECODED[key] = (frames, fps, wave)
    return frames, fps, wave


def load_clip_windows(task: ClipTask, opt: PrepareOptions) -> list[dict]:
    """Decode a clip and cut it into windows. Raises :class:`SkipClip` with the reason."""
    import cv2

    from foleygan_tf.video.frames import resample_indices

    if not os.path.exists(task.path):
        raise SkipClip("file not found")
    if os.path.getsize(task.path) == 0:
        raise SkipClip("empty file (0 bytes)")
    frames, fps, wave = _decoded_clip(task.path, opt)
    # A segment [start, end) of the clip (CSV manifests).
    f0 = int(round(task.start * fps))
    f1 = len(frames) if task.end is None else min(len(frames), int(round(task.end * fps)))
    a0 = int(round(task.start * opt.sample_rate))
    a1 = len(wave) if task.end is None else min(len(wave), int(round(task.end * opt.sample_rate)))
    frames, wave = frames[f0:f1], wave[a0:a1]
    video_s = len(frames) / fps
    audio_s = len(wave) / opt.sample_rate
    duration = min(video_s, audio_s)
    if len(frames) == 0 or duration < opt.min_seconds:
        raise SkipClip(f"too short: {duration:.2f} s (video {video_s:.2f} s, audio {audio_s:.2f} s) "
                       f"< minimum {opt.min_seconds:g} s")
    if not np.all(np.isfinite(wave)):
        raise SkipClip("audio contains NaN/inf samples")
    events = _sidecar_events(task.path)
    if events is not None:
        events = [e - task.start for e in events]
    clip_s = opt.clip_seconds
    tol = 1.0 / fps
    starts = []
    t = 0.0
    while t + clip_s <= duration + tol + 1e-9:
        starts.append(round(t, 6))
        t += opt.hop_seconds
    if not starts:
        starts = [0.0]            # shorter than one window but above the minimum: padded
    windows = []
    for ws in starts:
        valid = min(clip_s, duration - ws)
        if opt.frames_per_clip > 0:
            n = opt.frames_per_clip
            # Stored frame i stands for window time i / out_fps (the convention of P_act and the
            # action spectrogram, docs/trn.md): take the source frame presented nearest to it.
            # (Sampling the centres (i + 0.5) / out_fps, as before, showed content half a stored
            # frame later than that convention, i.e. made P_act and S_act half a frame early.)
            out_fps = n / clip_s
            idx = resample_indices(n, out_fps, fps, len(frames), start=ws)
        else:
            first = int(round(ws * fps))
            idx = np.arange(first, first + int(round(clip_s * fps)))
            idx = np.clip(idx, 0, len(frames) - 1)
            out_fps = fps
        sel = frames[idx]
        if opt.frame_format == "jpeg":
            quality = [int(cv2.IMWRITE_JPEG_QUALITY), opt.jpeg_quality]
            encoded = [cv2.imencode(".jpg", cv2.cvtColor(f, cv2.COLOR_RGB2BGR), quality)[1].tobytes() for f in sel]
        else:
            encoded = [np.ascontiguousarray(sel, np.uint8).tobytes()]
        a = int(round(ws * opt.sample_rate))
        clip_wave = np.zeros(opt.clip_samples, np.float32)
        part = wave[a: a + opt.clip_samples]
        clip_wave[: len(part)] = part
        win_events = [] if events is None else [round(e - ws, 6) for e in events if ws <= e < ws + clip_s]
        windows.append({
            "frames": encoded, "num_frames": len(sel), "frame_size": opt.frame_size, "fps": float(out_fps),
            "source_fps": float(fps), "wave": np.asarray(clip_wave, "<f4").tobytes(),
            "sample_rate": opt.sample_rate, "label": task.label, "class_name": task.class_name,
            "clip_id": task.clip_id, "window_start": float(ws), "valid_seconds": float(valid),
            "events": win_events, "has_events": int(events is not None),
        })
    return windows


def process_clip(args) -> tuple[ClipTask, list[dict] | None, str | None]:
    """Worker entry: ``(task, windows, None)`` or ``(task, None, reason)``; never raises."""
    task, opt = args
    try:
        return task, load_clip_windows(task, opt), None
    except SkipClip as err:
        return task, None, str(err)
    except Exception as err:  # noqa: BLE001 - a bad file must never stop the run
        return task, None, f"unexpected error: {type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}"


# ---------------------------------------------------------------------------------------------
# writing shards
# ---------------------------------------------------------------------------------------------

def _example(w: dict, spectrogram: np.ndarray | None):
    import tensorflow as tf

    def b(v):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=v if isinstance(v, list) else [v]))

    def i(v):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v)]))

    def f(v):
        return tf.train.Feature(float_list=tf.train.FloatList(value=v if isinstance(v, list) else [float(v)]))

    feats = {
        "frames": b(w["frames"]), "num_frames": i(w["num_frames"]), "frame_size": i(w["frame_size"]),
        "fps": f(w["fps"]), "source_fps": f(w["source_fps"]), "wave": b(w["wave"]),
        "sample_rate": i(w["sample_rate"]), "label": i(w["label"]),
        "class_name": b(w["class_name"].encode()), "clip_id": b(w["clip_id"].encode()),
        "window_start": f(w["window_start"]), "valid_seconds": f(w["valid_seconds"]),
        "events": f([float(e) for e in w["events"]]), "has_events": i(w["has_events"]),
    }
    if spectrogram is not None:
        feats["spectrogram"] = b(np.asarray(spectrogram, "<f2").tobytes())
    return tf.train.Example(features=tf.train.Features(feature=feats))


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_json(path: str, obj) -> None:
    from foleygan_tf.atomic import write_json

    write_json(path, obj, indent=2, sort_keys=True)


def _fingerprint(tasks: list[ClipTask], opt: PrepareOptions, extra: dict) -> str:
    key = {"v": FORMAT_VERSION, "opt": dataclasses.asdict(opt), **extra}
    if opt.frames_per_clip > 0:  # shards resampled with the old centre rule are re-made
        key["frame_times"] = "i/fps"
    h = hashlib.sha256(json.dumps(key, sort_keys=True).encode())
    for t in tasks:
        try:
            st = os.stat(t.path)
            stamp = f"{st.st_size}:{int(st.st_mtime)}"
        except OSError:
            stamp = "missing"
        h.update(f"{t.clip_id}\t{t.label}\t{t.start}\t{t.end}\t{stamp}\n".encode())
    return h.hexdigest()


def _cleanup_tmp(shards_dir: str) -> None:
    """Remove temporary files left by killed runs (their pid no longer exists)."""
    from foleygan_tf.atomic import remove_stale_temps

    for folder in (shards_dir, os.path.join(shards_dir, PROGRESS_DIR)):
        if os.path.isdir(folder):
            remove_stale_temps(folder=folder)


def prepare_dataset(source: str, shards_dir: str, cfg, hop_seconds: float | None = None, shard_size: int = 64,
                    min_seconds: float | None = None, frame_format: str = "jpeg", spectrogram: bool = False,
                    workers: int = 1, progress: bool = True) -> dict:
    """Ingest ``source`` (AFD folder or CSV) into ``shards_dir``; returns the manifest dict."""
    import tensorflow as tf
    from tqdm import tqdm

    if frame_format not in ("jpeg", "raw"):
        raise ValueError(f"--frame-format must be jpeg or raw, got {frame_format!r}")
    if shard_size < 1:
        raise ValueError("--shard-size must be ≥ 1")
    clip_s = cfg.audio.clip_seconds
    hop = clip_s if hop_seconds is None else float(hop_seconds)
    if hop <= 0:
        raise ValueError("--hop must be > 0 seconds")
    opt = PrepareOptions(sample_rate=cfg.audio.sample_rate, clip_seconds=clip_s, frame_size=cfg.video.frame_size,
                         frames_per_clip=cfg.video.frames_per_clip, hop_seconds=hop,
                         min_seconds=min(clip_s, 1.0) if min_seconds is None else float(min_seconds),
                         frame_format=frame_format)
    tasks, skipped = discover(source, list(cfg.class_names))
    os.makedirs(os.path.join(shards_dir, PROGRESS_DIR), exist_ok=True)
    _cleanup_tmp(shards_dir)

    # plan: split → sorted clips → shards of shard_size clips
    by_split = {s: sorted((t for t in tasks if split_of(t.clip_id, cfg.train_fraction) == s),
                          key=lambda t: t.clip_id) for s in SPLITS}
    extra = {"spectrogram": spectrogram, "encoding": cfg.audio.encoding if spectrogram else None,
             "class_names": list(cfg.class_names)}
    plan = []  # (split, name, tasks, fingerprint)
    for s in SPLITS:
        clips = by_split[s]
        n = math.ceil(len(clips) / shard_size)
        for k in range(n):
            part = clips[k * shard_size:(k + 1) * shard_size]
            plan.append((s, f"{s}-{k:05d}-of-{n:05d}.tfrecord", part, _fingerprint(part, opt, extra)))
    # drop stale shards of an earlier plan (different number of shards): not in the plan → removed
    planned = {name for _, name, _, _ in plan}
    for fn in os.listdir(shards_dir):
        if fn.endswith(".tfrecord") and fn not in planned:
            os.remove(os.path.join(shards_dir, fn))
            rec = os.path.join(shards_dir, PROGRESS_DIR, fn + ".json")
            if os.path.exists(rec):
                os.remove(rec)

    def done_record(name, fp):
        rec_path = os.path.join(shards_dir, PROGRESS_DIR, name + ".json")
        shard_path = os.path.join(shards_dir, name)
        if not (os.path.exists(rec_path) and os.path.exists(shard_path)):
            return None
        try:
            with open(rec_path) as f:
                rec = json.load(f)
        except (OSError, ValueError):
            return None
        if rec.get("fingerprint") != fp or rec.get("sha256") != sha256_file(shard_path):
            return None
        return rec

    records = {}
    todo = []
    for s, name, part, fp in plan:
        rec = done_record(name, fp)
        if rec is not None:
            records[name] = rec
        else:
            todo.append((s, name, part, fp))
    codec = None
    if spectrogram:
        from foleygan_tf.audio import SpectrogramCodec

        codec = SpectrogramCodec(cfg.audio)

    n_clips = sum(len(p) for _, _, p, _ in todo)
    bar = tqdm(total=n_clips, desc="prepare", unit="clip", disable=not progress)
    t0 = time.perf_counter()
    jobs = [(t, opt) for _, _, part, _ in todo for t in part]
    pool = None
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp

        pool = mp.get_context("spawn").Pool(workers)
        results = pool.imap(process_clip, jobs, chunksize=1)
    else:
        results = map(process_clip, jobs)
    try:
        for s, name, part, fp in todo:
            windows, shard_skipped, class_counts, clips_ok = [], [], {}, 0
            for _ in part:
                task, wins, reason = next(results)
                bar.update()
                if reason is not None:
                    shard_skipped.append({"path": task.clip_id, "reason": reason})
                    continue
                clips_ok += 1
                windows.extend(wins)
                class_counts[task.class_name] = class_counts.get(task.class_name, 0) + len(wins)
            specs = None
            if codec is not None and windows:
                waves = np.stack([np.frombuffer(w["wave"], "<f4") for w in windows])
                specs = np.concatenate([codec.encode(waves[i:i + 64]).numpy() for i in range(0, len(waves), 64)])
            path = os.path.join(shards_dir, name)
            with atomic_path(path) as tmp:
                with tf.io.TFRecordWriter(tmp) as writer:
                    for j, w in enumerate(windows):
                        writer.write(_example(w, None if specs is None else specs[j]).SerializeToString())
                with open(tmp, "rb+") as f:
                    os.fsync(f.fileno())
            rec = {"file": name, "split": s, "examples": len(windows), "clips": clips_ok,
                   "sha256": sha256_file(path), "bytes": os.path.getsize(path), "fingerprint": fp,
                   "class_counts": class_counts, "skipped": shard_skipped}
            _write_json(os.path.join(shards_dir, PROGRESS_DIR, name + ".json"), rec)
            records[name] = rec
    finally:
        bar.close()
        _LAST_DECODED.clear()   # the in-process path: do not keep the last clip after the run
        if pool is not None:
            pool.terminate()
            pool.join()
    elapsed = time.perf_counter() - t0

    splits = {}
    for s in SPLITS:
        recs = [records[name] for ss, name, _, _ in plan if ss == s]
        counts: dict[str, int] = {}
        for r in recs:
            for c, k in r["class_counts"].items():
                counts[c] = counts.get(c, 0) + k
        splits[s] = {
            "examples": sum(r["examples"] for r in recs), "clips": sum(r["clips"] for r in recs),
            "class_counts": {c: counts[c] for c in cfg.class_names if c in counts},
            "shards": [{k: r[k] for k in ("file", "examples", "clips", "sha256", "bytes")} for r in recs],
        }
    all_skipped = skipped + [x for _, name, _, _ in plan for x in records[name]["skipped"]]
    manifest = {
        "format_version": FORMAT_VERSION,
        "source": os.path.abspath(source),
        "preset": cfg.name,
        "class_names": list(cfg.class_names),
        "num_classes": cfg.num_classes,
        "sample_rate": opt.sample_rate,
        "clip_seconds": opt.clip_seconds,
        "clip_samples": opt.clip_samples,
        "frame_size": opt.frame_size,
        "frames_per_clip": opt.frames_per_clip,
        "frame_format": opt.frame_format,
        "hop_seconds": opt.hop_seconds,
        "min_seconds": opt.min_seconds,
        "train_fraction": cfg.train_fraction,
        "split_rule": "train if int(sha256(clip_id)[:8 bytes]) / 2**64 < train_fraction else test",
        "spectrogram": {"stored": bool(spectrogram), "encoding": cfg.audio.encoding,
                        "image_size": cfg.audio.image_size} if spectrogram else {"stored": False},
        "splits": splits,
        "skipped": sorted(all_skipped, key=lambda x: x["path"]),
        "fields": {k: {"kind": v[0], "description": v[1]} for k, v in FEATURES.items()},
        "last_run": {"clips_processed": n_clips, "shards_written": len(todo),
                     "shards_reused": len(plan) - len(todo), "seconds": round(elapsed, 2)},
    }
    _write_json(os.path.join(shards_dir, MANIFEST_NAME), manifest)
    return manifest
