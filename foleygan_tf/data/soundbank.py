"""Real recordings for the synthetic scenes (``foleygan synth-data --sound-bank DIR``).

A sound bank is a folder ``DIR/<class>/*.wav|flac|ogg|mp3`` (class folders named after the AFD
classes; others are ignored). :meth:`SoundBank.build_cache` decodes it once — ogg/flac/wav with
tensorflow-io inside a ``tf.data`` pipeline (:func:`foleygan_tf.audio.tf_decode_audio_file`: tfio
decode + ``tfio.audio.resample`` to 44.1 kHz), other formats with PyAV — and stores, in a cache
folder keyed by the bank's file list, sizes and times:

* for impulsive classes, single **hits**: each recording is cut at its onsets (librosa onset
  detection, backtracked) into one-shot sounds whose leading silence is trimmed, so that sample 0
  is the sound's main onset (the first sample within 15 dB of the hit's peak, minus 1 ms);
* for continuous classes, **beds**: up to ``BED_SECONDS`` of each recording, leading silence trimmed.

Workers :meth:`SoundBank.load` the cache (a memory-mapped ``audio.npy`` + ``index.json``) and draw
augmented sounds from it: :meth:`hit` (varispeed pitch, gain, low/high-pass filter and, for thin
classes, a stretched decay) and :meth:`bed` (time-stretch, gain, filter, looping with cross-fades,
and for thin classes a second recording mixed under the first).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings

import numpy as np
from scipy import signal as sps

from foleygan_tf.atomic import atomic_directory, write_json

BANK_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3")
TFIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga")
CACHE_VERSION = 3
BED_SECONDS = 10.0
MAX_HITS_PER_FILE = 12
THIN_CLASS_FILES = 10      # a class with fewer recordings is "thin": stronger augmentation
HIT_MAX_SECONDS = {"thunder": 2.5, "break": 1.5, "gunshot": 1.2}
HIT_DEFAULT_MAX_SECONDS = 0.6


def bank_files(bank_dir: str, classes) -> dict[str, list[str]]:
    """``{class: [relative paths, sorted]}`` for the classes that have recordings in the bank."""
    if not os.path.isdir(bank_dir):
        raise FileNotFoundError(f"{bank_dir}: sound bank folder not found")
    out = {}
    for cls in classes:
        folder = os.path.join(bank_dir, cls)
        if not os.path.isdir(folder):
            continue
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith(BANK_EXTENSIONS))
        if names:
            out[cls] = [f"{cls}/{n}" for n in names]
    return out


def _decode_all(bank_dir: str, rel_paths: list[str], sample_rate: int, progress: bool,
                reasons: dict | None = None) -> list[np.ndarray | None]:
    """Decode every file to mono float32 at ``sample_rate``; ``None`` for files that fail (their
    one-line reason goes to ``reasons[rel_path]``)."""
    import tensorflow as tf
    from tqdm import tqdm

    from foleygan_tf.audio import load_audio, tf_decode_audio_file

    waves: list[np.ndarray | None] = [None] * len(rel_paths)
    tfio_idx = [i for i, p in enumerate(rel_paths) if p.lower().endswith(TFIO_EXTENSIONS)]
    bar = tqdm(total=len(rel_paths), desc="sound bank", unit="file", disable=not progress)
    if tfio_idx:
        # tensorflow-io decode + resample inside tf.data; a file that fails is dropped here
        # (ignore_errors) and retried with PyAV below.
        paths = [os.path.join(bank_dir, rel_paths[i]) for i in tfio_idx]
        ds = tf.data.Dataset.from_tensor_slices((tfio_idx, paths)).map(
            lambda i, p: (i, tf_decode_audio_file(p, sample_rate)),
            num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        ds = ds.ignore_errors()
        for i, wave in ds:
            waves[int(i)] = wave.numpy().astype(np.float32)
            bar.update()
    for i, rel in enumerate(rel_paths):
        if waves[i] is None:
            try:
                waves[i] = load_audio(os.path.join(bank_dir, rel), sample_rate)
            except ValueError as err:
                waves[i] = None
                if reasons is not None:
                    reasons[rel] = getattr(err, "problem", None) or str(err)
            bar.update()
    bar.close()
    return waves


def onset_start(x: np.ndarray, sample_rate: int, rel_db: float = -15.0, preroll: float = 0.001,
                search: float = 0.5) -> int:
    """Index of a sound's onset: the first sample whose magnitude reaches ``rel_db`` of the peak of
    the sound's first ``search`` seconds, minus ``preroll`` seconds. What comes before — leading
    silence, or a faint pre-sound such as a key's travel noise before its bottom-out click — is
    trimmed, so the *main* attack (the one an onset detector and a listener hear as the event)
    lands on the event time."""
    a = np.abs(np.asarray(x))
    if len(a) == 0 or a.max() <= 0:
        return 0
    peak = a[: max(1, int(search * sample_rate))].max()
    if peak <= 0:
        peak = a.max()
    first = int(np.argmax(a >= peak * 10 ** (rel_db / 20)))
    return max(0, first - int(preroll * sample_rate))


def segment_hits(wave: np.ndarray, sample_rate: int, max_seconds: float) -> list[np.ndarray]:
    """One-shot sounds of a recording, each starting at its onset (leading silence trimmed)."""
    import librosa

    if len(wave) < int(0.03 * sample_rate) or np.max(np.abs(wave)) <= 0:
        return []
    hop = 256
    with warnings.catch_warnings():  # very short recordings: librosa warns about n_fft
        warnings.simplefilter("ignore", UserWarning)
        onsets = librosa.onset.onset_detect(y=wave, sr=sample_rate, hop_length=hop, backtrack=True,
                                            units="samples", wait=int(0.08 * sample_rate / hop))
    bounds = sorted(set([int(o) for o in onsets] or [0]))
    file_peak = float(np.max(np.abs(wave)))
    hits = []
    for j, b in enumerate(bounds):
        end = bounds[j + 1] if j + 1 < len(bounds) else len(wave)
        seg = wave[b:end]
        if len(seg) < int(0.03 * sample_rate) or np.max(np.abs(seg)) < 0.1 * file_peak:
            continue
        s = onset_start(seg, sample_rate)
        seg = seg[s: s + int(max_seconds * sample_rate)].astype(np.float64)
        if len(seg) < int(0.03 * sample_rate):
            continue
        pre = min(len(seg), int(0.001 * sample_rate))
        seg[:pre] *= np.linspace(0.0, 1.0, pre, endpoint=False)
        fade = min(len(seg), int(0.01 * sample_rate))
        seg[-fade:] *= np.linspace(1.0, 0.0, fade)
        hits.append((seg / np.max(np.abs(seg))).astype(np.float32))
    if len(hits) > MAX_HITS_PER_FILE:
        keep = np.linspace(0, len(hits) - 1, MAX_HITS_PER_FILE).round().astype(int)
        hits = [hits[k] for k in keep]
    return hits


def _cache_key(bank_dir: str, files: dict[str, list[str]], sample_rate: int) -> str:
    h = hashlib.sha256(f"v{CACHE_VERSION} sr={sample_rate}".encode())
    for cls in sorted(files):
        for rel in files[cls]:
            st = os.stat(os.path.join(bank_dir, rel))
            h.update(f"{rel}\t{st.st_size}\t{int(st.st_mtime)}\n".encode())
    return h.hexdigest()[:16]


class SoundBank:
    """Decoded, segmented recordings (see the module docstring); draws augmented sounds."""

    def __init__(self, audio: np.ndarray, index: list[dict], sample_rate: int, files_per_class: dict):
        self.audio, self.index, self.sample_rate = audio, index, sample_rate
        self.files_per_class = files_per_class
        self._by = {}
        for i, e in enumerate(index):
            self._by.setdefault((e["class"], e["kind"]), []).append(i)

    # -- building / loading -------------------------------------------------------------------
    @classmethod
    def build_cache(cls, bank_dir: str, classes, cache_root: str, sample_rate: int = 44100,
                    progress: bool = True) -> str:
        """Decode and segment the bank once; returns the cache folder (reused when unchanged)."""
        from foleygan_tf.data.synth import CONTINUOUS

        bank_dir = os.path.abspath(bank_dir)
        files = bank_files(bank_dir, classes)
        if not files:
            raise ValueError(f"{bank_dir}: no recordings for the classes {', '.join(classes)} "
                             f"(expected {bank_dir}/<class>/*.wav|flac|ogg|mp3)")
        key = _cache_key(bank_dir, files, sample_rate)
        folder = os.path.join(cache_root, f"soundbank-{key}")
        if os.path.exists(os.path.join(folder, "index.json")):
            return folder
        rels = [r for c in sorted(files) for r in files[c]]
        reasons: dict[str, str] = {}
        waves = _decode_all(bank_dir, rels, sample_rate, progress, reasons)
        chunks, index, offset, skipped = [], [], 0, []
        for rel, wave in zip(rels, waves):
            cls_name = rel.split("/", 1)[0]
            if wave is None or wave.size == 0 or not np.all(np.isfinite(wave)) or np.max(np.abs(wave)) == 0:
                skipped.append(rel)
                reasons.setdefault(rel, "cannot be decoded" if wave is None else "no samples" if wave.size == 0
                                   else "audio contains NaN or inf samples" if not np.all(np.isfinite(wave))
                                   else "silent (all samples are zero)")
                continue
            if cls_name in CONTINUOUS:
                s = onset_start(wave, sample_rate, rel_db=-30.0, preroll=0.0)
                pieces = [wave[s: s + int(BED_SECONDS * sample_rate)]]
                kind = "bed"
            else:
                pieces = segment_hits(wave, sample_rate, HIT_MAX_SECONDS.get(cls_name, HIT_DEFAULT_MAX_SECONDS))
                kind = "hit"
            for piece in pieces:
                piece = np.asarray(piece, np.float32)
                if kind == "bed":
                    piece = piece / max(1e-9, float(np.max(np.abs(piece))))
                chunks.append(piece)
                index.append({"class": cls_name, "kind": kind, "source": rel, "offset": offset, "length": len(piece)})
                offset += len(piece)
        meta = {"sample_rate": sample_rate, "bank_dir": bank_dir, "index": index, "skipped": skipped,
                "skipped_reasons": {r: reasons[r] for r in skipped},
                "files_per_class": {c: len(v) for c, v in files.items()}}
        # another process may have built the same cache meanwhile: keep the folder it installed
        with atomic_directory(folder, replace=False) as tmp:
            np.save(os.path.join(tmp, "audio.npy"), np.concatenate(chunks) if chunks else np.zeros(0, np.float32))
            write_json(os.path.join(tmp, "index.json"), meta, indent=None)
        return folder

    @classmethod
    def load(cls, folder: str) -> "SoundBank":
        with open(os.path.join(folder, "index.json")) as f:
            meta = json.load(f)
        audio = np.load(os.path.join(folder, "audio.npy"), mmap_mode="r")
        return cls(audio, meta["index"], meta["sample_rate"], meta["files_per_class"])

    # -- drawing sounds -----------------------------------------------------------------------
    def has(self, cls: str) -> bool:
        return bool(self._by.get((cls, "hit")) or self._by.get((cls, "bed")))

    def thin(self, cls: str) -> bool:
        return self.files_per_class.get(cls, 0) < THIN_CLASS_FILES

    def _get(self, i: int) -> np.ndarray:
        e = self.index[i]
        return np.array(self.audio[e["offset"]: e["offset"] + e["length"]], np.float64)

    def _filter(self, x: np.ndarray, rng) -> np.ndarray:
        choice = rng.integers(3)
        sr = self.sample_rate
        if choice == 1:
            sos = sps.butter(2, rng.uniform(2500, 9000), btype="low", fs=sr, output="sos")
            return sps.sosfilt(sos, x)
        if choice == 2:
            sos = sps.butter(2, rng.uniform(80, 500), btype="high", fs=sr, output="sos")
            return sps.sosfilt(sos, x)
        return x

    def hit(self, cls: str, rng, max_len: int | None = None) -> tuple[np.ndarray, str]:
        """An augmented one-shot of ``cls`` with its onset at sample 0, and its source path."""
        ids = self._by[(cls, "hit")]
        i = ids[int(rng.integers(len(ids)))]
        x = self._get(i)
        thin = self.thin(cls)
        factor = rng.uniform(0.8, 1.25) if thin else rng.uniform(0.9, 1.12)   # varispeed pitch
        pos = np.arange(0, len(x) - 1, factor)
        x = np.interp(pos, np.arange(len(x)), x)
        if thin and len(x) > int(0.06 * self.sample_rate):                   # stretch the decay
            a = int(0.03 * self.sample_rate)
            stretch = rng.uniform(0.8, 1.3)
            tail = np.interp(np.arange(0, len(x) - a - 1, 1 / stretch), np.arange(len(x) - a), x[a:])
            x = np.concatenate([x[:a], tail])
        x = self._filter(x, rng)
        x = x / max(1e-9, float(np.max(np.abs(x)))) * 10 ** (rng.uniform(-4, 2) / 20)   # gain
        if max_len is not None:
            x = x[: max(0, max_len)]
        return x, self.index[i]["source"]

    def bed(self, cls: str, n: int, rng) -> tuple[np.ndarray, list[str]]:
        """``n`` samples of an augmented, looped recording of ``cls``, and the sources used."""
        ids = self._by[(cls, "bed")]
        layers = 2 if self.thin(cls) and len(ids) > 1 else 1
        picks = rng.choice(len(ids), size=layers, replace=False)
        out, sources = np.zeros(n), []
        for layer, p in enumerate(picks):
            x = self._get(ids[int(p)])
            rate = rng.uniform(0.85, 1.15)                                   # time-stretch
            need = int(n * rate) + int(0.2 * self.sample_rate)
            start = int(rng.integers(0, max(1, len(x) - need))) if len(x) > need else 0
            x = x[start: start + need]
            x = ola_stretch(x, rate)
            x = _loop(x, n, int(0.08 * self.sample_rate))
            x = self._filter(x, rng) * (1.0 if layer == 0 else rng.uniform(0.3, 0.6))
            out += x
            sources.append(self.index[ids[int(p)]]["source"])
        return out, sources


def ola_stretch(x: np.ndarray, rate: float, grain: int = 2048) -> np.ndarray:
    """Time-stretch (``rate`` > 1: faster/shorter) without changing pitch, by overlap-adding
    Hann-windowed grains read every ``rate × grain/2`` samples and written every ``grain/2``.
    Good for the noise-like textures of the continuous classes (no transient preservation)."""
    if abs(rate - 1.0) < 0.02 or len(x) < 2 * grain:
        return x
    hop_out = grain // 2
    n_out = int(len(x) / rate)
    window = np.hanning(grain)
    out = np.zeros(n_out + grain)
    norm = np.zeros(n_out + grain)
    for j in range(0, n_out, hop_out):
        s = min(int(j * rate), len(x) - grain)
        out[j: j + grain] += x[s: s + grain] * window
        norm[j: j + grain] += window
    return out[:n_out] / np.maximum(norm[:n_out], 1e-3)


def _loop(x: np.ndarray, n: int, fade: int) -> np.ndarray:
    """Repeat ``x`` to ``n`` samples with linear cross-fades of ``fade`` samples."""
    if len(x) >= n:
        return x[:n]
    fade = min(fade, len(x) // 4)
    if fade < 1:
        return np.resize(x, n)
    out = x.copy()
    ramp = np.linspace(0.0, 1.0, fade)
    while len(out) < n:
        head = out[:-fade] if len(out) > fade else out[:0]
        mixed = out[-fade:] * (1 - ramp) + x[:fade] * ramp
        out = np.concatenate([head, mixed, x[fade:]])
    return out[:n]


def bank_warnings(bank: str, data_dir: str, sidecars) -> list[str]:
    """One line per unusable sound-bank file and per class whose clips fell back to synthetic
    sounds, for a dataset ``synth-data`` just wrote to ``data_dir`` from ``sidecars``."""
    from foleygan_tf.data.synth import SAMPLE_RATE

    classes = sorted({s["class"] for s in sidecars})
    folder = SoundBank.build_cache(bank, classes, os.path.join(data_dir, ".cache"), sample_rate=SAMPLE_RATE,
                                   progress=False)   # the cache just built: nothing is decoded again
    with open(os.path.join(folder, "index.json")) as f:
        meta = json.load(f)
    reasons = meta.get("skipped_reasons", {})
    lines = [f"sound bank file {os.path.join(bank, rel)} skipped: {reasons.get(rel, 'unusable')}"
             for rel in meta.get("skipped", [])]
    lines += [f"no usable recording for class {cls!r} in {bank}: its clips use synthetic sounds"
              for cls in sorted({s["class"] for s in sidecars if s["sound_sources"] == ["synthetic"]})]
    return lines
