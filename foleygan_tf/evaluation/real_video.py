"""Generated sound against the sound recorded with a real video: the measure of ``foleygan
evaluate --videos`` (docs/evaluation.md "Videos with their own sound"). One implementation; the
README and docs quote its numbers.

For each video (any container PyAV/OpenCV read, with an audio track) and each model:

* **generated track** — ``FoleyPipeline.render`` (what ``foleygan generate`` muxes: 44.1 kHz,
  loudness-normalised), z seed ``seed`` for every clip (as ``foleygan generate --seed``);
* **real track** — the video's own first audio track, mono (channels averaged), aligned to the
  first video frame (the audio stream's start time minus the video stream's) and cut to the
  video's duration.

The measure (both tracks mono at :data:`SCORE_RATE` Hz, soxr resampling):

* **onsets** — ``librosa.onset.onset_detect`` with its defaults (``onset_strength`` with hop 512;
  times = frames · 512 / 22 050 s), confidence = the onset strength at each peak;
* **matching** — each real onset in time order takes the nearest still unused generated onset within
  ±:data:`MATCH_WINDOW_S` (``audio.onsets.match_onsets(order="reference")``); precision, recall, F1
  per clip, then the mean over clips; CondFoleyGen's **detection accuracy** (= recall) and **AP**
  (generated onsets ranked by confidence, ``audio.onsets.onset_scores``). The two tracks of a pair
  are cut to the shorter first;
* **mismatched reference** — the same generated track against the *next* clip's real track (sorted
  order, the last against the first; both cut to the shorter): the score chance timing gets on
  tracks this dense. Needs ≥ 2 clips;
* **frame-difference baseline** — onsets read from the picture alone: frames at
  :data:`DIFFERENCE_SIDE`² px grey (OpenCV luma), ``d[t]`` = mean |frame t − frame t−1| (``d[0] =
  d[1]``), ``c[t] = max(0, d[t] − d[t−1])`` at time ``t / fps``; peaks by the same
  ``librosa.onset.onset_detect`` (its defaults, with ``c`` as the envelope at ``fps`` frames/s),
  confidence ``c``; scored against the real track like a model;
* **envelope correlation** — Pearson r at lag 0 of ``librosa.onset.onset_strength`` (hop 512) of
  the two tracks (0 when either envelope is constant, e.g. silence);
* **bandwidth** — at :data:`BANDWIDTH_RATE` Hz, ``|X|`` = ``|STFT|`` (FFT 2048, hop 512, Hann,
  centred); over the frames whose energy (Σ |X|²) exceeds :data:`LOUD_FRACTION` of the median frame
  energy: the median of the 99 % roll-off — the frequency below which 99 % of the frame's energy
  lies (``librosa.feature.spectral_rolloff`` of the *power* spectrogram ``|X|²``; given a wave,
  librosa sums magnitudes instead, which puts the roll-off of real recordings ≈ 2× higher) — and
  the median spectral flatness (``librosa.feature.spectral_flatness``, power 2) of the bins within
  :data:`FLATNESS_BAND_HZ`, so that bandwidth cannot come from hiss (white noise ≈ 0.56);
* **length match** — the generated track's duration minus the video's (ms).
"""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np

from foleygan_tf.audio.onsets import ONSET_WINDOW_S, Onsets, onset_scores
from foleygan_tf.video.frames import VIDEO_EXTENSIONS

__all__ = ["SCORE_RATE", "BANDWIDTH_RATE", "MATCH_WINDOW_S", "VIDEO_EXTENSIONS", "RealClip", "video_files",
           "load_real_clip", "track_onsets", "frame_difference_onsets", "curve_onsets", "match_scores",
           "envelope_correlation", "bandwidth", "pair_scores", "score_track", "evaluate_videos", "write_report",
           "format_report_md", "format_summary"]

SCORE_RATE = 22050                 # onsets and envelopes
ONSET_HOP = 512                    # librosa's default hop of onset_strength / onset_detect
BANDWIDTH_RATE = 44100
BANDWIDTH_FFT, BANDWIDTH_HOP = 2048, 512
ROLLOFF_PERCENT = 0.99
LOUD_FRACTION = 0.1                # of the median frame energy
FLATNESS_BAND_HZ = (50.0, 5000.0)
DIFFERENCE_SIDE = 96               # frame-difference baseline: frames at 96 × 96 px
MATCH_WINDOW_S = ONSET_WINDOW_S    # ±100 ms
REPORT_MD, REPORT_JSON = "report.md", "report.json"


# ---- the measure ---------------------------------------------------------------------------

def track_onsets(wave) -> Onsets:
    """Onsets of a mono wave ``[N]`` at :data:`SCORE_RATE`: ``librosa.onset.onset_detect`` with
    its defaults; ``envelope`` = ``onset_strength`` (hop 512, not normalised), ``rate`` = 22 050 /
    512 frames/s."""
    import librosa

    wave = np.asarray(wave, np.float32)
    env = librosa.onset.onset_strength(y=wave, sr=SCORE_RATE, hop_length=ONSET_HOP)
    frames = librosa.onset.onset_detect(onset_envelope=env, sr=SCORE_RATE, hop_length=ONSET_HOP, units="frames")
    return Onsets(env, SCORE_RATE / ONSET_HOP, np.asarray(frames, int))


def frame_difference_onsets(frames, fps: float) -> Onsets:
    """The frame-difference baseline's onsets of RGB frames ``[T, H, W, 3]`` (uint8) at ``fps``:
    ``envelope`` = the positive change ``c [T]`` of the mean absolute grey-level difference of
    consecutive frames at :data:`DIFFERENCE_SIDE`² px (module docstring), ``rate`` = ``fps``."""
    import cv2

    frames = np.asarray(frames)
    grey = np.stack([cv2.cvtColor(cv2.resize(f, (DIFFERENCE_SIDE, DIFFERENCE_SIDE), interpolation=cv2.INTER_AREA),
                                  cv2.COLOR_RGB2GRAY) for f in frames]).astype(np.float32)
    change = np.zeros(len(grey), np.float32)
    if len(grey) >= 2:
        d = np.abs(np.diff(grey, axis=0)).mean(axis=(1, 2))
        d = np.concatenate([d[:1], d])                     # d[0] = d[1]: no rise into the first frame
        change[1:] = np.maximum(0.0, np.diff(d))
    return curve_onsets(change, fps)


def curve_onsets(curve, fps: float) -> Onsets:
    """A curve ``[T]`` read from the frames at ``fps`` as onsets: peaks by
    ``librosa.onset.onset_detect`` with its defaults (``curve`` as the envelope at ``fps``
    frames/s); none for a curve that is 0 everywhere."""
    import librosa

    curve = np.asarray(curve, np.float32)
    peaks = np.zeros(0, int)
    if curve.any():
        peaks = librosa.onset.onset_detect(onset_envelope=curve, sr=float(fps), hop_length=1, units="frames")
    return Onsets(curve, float(fps), np.asarray(peaks, int))


def match_scores(real: Onsets, estimated: Onsets) -> dict:
    """Precision, recall, F1, detection accuracy (= recall), AP and counts of ``estimated`` onsets
    against ``real`` ones (±:data:`MATCH_WINDOW_S`, each real onset in time order takes the nearest
    unused estimate)."""
    s = onset_scores(real.times, estimated.times, MATCH_WINDOW_S, estimated.strength, order="reference")
    return {"precision": s["precision"], "recall": s["recall"], "f1": s["f1"], "accuracy": s["recall"],
            "ap": s["average_precision"],
            "mean_abs_offset_ms": s["mean_abs_offset_ms"] if s["num_matched"] else None,
            "num_real": s["num_reference"], "num_estimated": s["num_estimated"], "num_matched": s["num_matched"]}


def envelope_correlation(a, b) -> float:
    """Pearson r at lag 0 of the onset strengths (``librosa.onset.onset_strength``, hop 512) of two
    mono waves at :data:`SCORE_RATE` (cut to the shorter); 0 when either is constant."""
    n = min(len(a), len(b))
    return _envelope_r(track_onsets(a[:n]), track_onsets(b[:n]))


def _envelope_r(a: Onsets, b: Onsets) -> float:
    from foleygan_tf.evaluation.action_sync import pearson

    r = pearson(a.envelope.astype(np.float64), b.envelope.astype(np.float64))
    return 0.0 if r is None else r


def bandwidth(wave) -> dict:
    """``{"bandwidth_hz", "flatness"}`` of a mono wave at :data:`BANDWIDTH_RATE` (module docstring);
    None for a silent wave."""
    import librosa

    wave = np.asarray(wave, np.float32)
    mag = np.abs(librosa.stft(wave, n_fft=BANDWIDTH_FFT, hop_length=BANDWIDTH_HOP))          # [1025, F]
    energy = (mag.astype(np.float64) ** 2).sum(axis=0)
    loud = energy > LOUD_FRACTION * np.median(energy)
    if not loud.any():
        return {"bandwidth_hz": None, "flatness": None}
    rolloff = librosa.feature.spectral_rolloff(S=mag ** 2, sr=BANDWIDTH_RATE, n_fft=BANDWIDTH_FFT,
                                               hop_length=BANDWIDTH_HOP, roll_percent=ROLLOFF_PERCENT)[0]
    freqs = librosa.fft_frequencies(sr=BANDWIDTH_RATE, n_fft=BANDWIDTH_FFT)
    band = (freqs >= FLATNESS_BAND_HZ[0]) & (freqs <= FLATNESS_BAND_HZ[1])
    flatness = librosa.feature.spectral_flatness(S=mag[band], power=2.0)[0]
    return {"bandwidth_hz": float(np.median(rolloff[loud])), "flatness": float(np.median(flatness[loud]))}


def pair_scores(real, generated) -> dict:
    """Onset scores and envelope r of a generated track against a real one (both mono at
    :data:`SCORE_RATE`, cut to the shorter)."""
    n = min(len(real), len(generated))
    real, generated = track_onsets(real[:n]), track_onsets(generated[:n])
    return dict(match_scores(real, generated), envelope_r=_envelope_r(real, generated))


# ---- the clips -----------------------------------------------------------------------------

@dataclasses.dataclass
class RealClip:
    """A video with its own sound: ``real`` [N] and ``real_wide`` [M] the recorded track (aligned,
    cut to the video) at :data:`SCORE_RATE` and :data:`BANDWIDTH_RATE`; ``difference`` the
    frame-difference baseline's onsets."""

    path: str
    duration: float
    fps: float
    audio_seconds: float
    real: np.ndarray
    real_wide: np.ndarray
    difference: Onsets

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def video_files(paths) -> list[str]:
    """Video files named by ``paths`` (files, or folders: their files with a
    :data:`VIDEO_EXTENSIONS` extension), sorted by file name (then path); one-line errors."""
    found = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            found += [os.path.join(p, f) for f in os.listdir(p)
                      if f.lower().endswith(VIDEO_EXTENSIONS) and os.path.isfile(os.path.join(p, f))]
        elif os.path.isfile(p):
            found.append(p)
        else:
            raise ValueError(f"{p}: no such video file or folder")
    if not found:
        raise ValueError(f"no video file ({', '.join(VIDEO_EXTENSIONS)}) in {', '.join(map(str, paths))}")
    found = sorted(set(found), key=lambda f: (os.path.basename(f), f))
    return found


def _audio_start(path: str) -> float:
    """Start time (s) of the first audio stream; one-line ``ValueError`` naming ``path`` without one."""
    import av

    try:
        with av.open(path) as container:
            if not container.streams.audio:
                raise ValueError(f"{path}: has no audio track — `foleygan evaluate --videos` scores the generated "
                                 "sound against the video's own recorded sound")
            stream = container.streams.audio[0]
            return float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    except av.error.FFmpegError as err:
        raise ValueError(f"{path}: not a readable video file ({type(err).__name__})") from None


def load_real_clip(path) -> RealClip:
    """Decode a video with its own sound (:class:`RealClip`); one-line errors naming the file."""
    from foleygan_tf.audio.io import load_audio, resample
    from foleygan_tf.inference.mux import probe_video
    from foleygan_tf.video.frames import read_frames

    path = os.fspath(path)
    info = probe_video(path)
    offset = _audio_start(path) - info["start"]
    wave, rate = load_audio(path)
    frames, fps = read_frames(path, frame_size=DIFFERENCE_SIDE)
    duration = info["duration"] if info["duration"] > 0 else len(frames) / fps
    shift = int(round(offset * rate))
    wave = np.concatenate([np.zeros(shift, np.float32), wave]) if shift > 0 else wave[-shift:]
    wave = wave[: int(round(duration * rate))]
    return RealClip(path, duration, fps, len(wave) / rate, resample(wave, rate, SCORE_RATE),
                    resample(wave, rate, BANDWIDTH_RATE), frame_difference_onsets(frames, fps))


def score_track(clip: RealClip, track, rate: int, next_clip: RealClip | None = None) -> dict:
    """A generated ``track`` [N] at ``rate`` Hz for ``clip`` scored: ``{"own": pair_scores vs its
    real track, "mismatched": vs ``next_clip``'s (or None), "bandwidth_hz", "flatness",
    "generated_s", "length_error_ms"}``."""
    from foleygan_tf.audio.io import resample

    track = np.asarray(track, np.float32)
    narrow = resample(track, rate, SCORE_RATE)
    wide = resample(track, rate, BANDWIDTH_RATE)
    seconds = len(track) / float(rate)
    return dict(own=pair_scores(clip.real, narrow),
                mismatched=pair_scores(next_clip.real, narrow) if next_clip is not None else None,
                generated_s=seconds, length_error_ms=1000.0 * (seconds - clip.duration), **bandwidth(wide))


# ---- the command ---------------------------------------------------------------------------

def evaluate_videos(videos, models, out_dir=None, *, seed: int = 0, truncation: float | None = None,
                    progress: bool = True, report=None) -> dict:
    """Score every model of ``models`` (``[(name, exported models dir)]``) on the videos named by
    ``videos`` (files or folders); ``report(line)`` gets a line per video and model. With
    ``out_dir``: ``report.md`` and ``report.json`` there (atomic). Returns the report dict
    (``settings``, ``clips`` with per-model scores, ``mean``)."""
    from foleygan_tf.inference.exports import require_exported
    from foleygan_tf.inference.pipeline import FoleyPipeline
    from foleygan_tf.progress import progress as progress_bar

    t0 = time.perf_counter()
    report = report or (lambda line: None)
    files = video_files(videos)
    for name, path in models:
        require_exported(path)
    clips = [load_real_clip(f) for f in files]          # every input checked before a model loads
    pipelines = {name: FoleyPipeline.from_saved_models(path) for name, path in models}
    rows = []
    for i, clip in enumerate(progress_bar(clips, desc="evaluate", unit="video", enabled=progress)):
        next_clip = clips[(i + 1) % len(clips)] if len(clips) > 1 else None
        real_onsets = track_onsets(clip.real)
        row = {"video": clip.path, "name": clip.name, "duration": clip.duration, "fps": clip.fps,
               "audio_s": clip.audio_seconds, "real_onsets": len(real_onsets.frames),
               "real": bandwidth(clip.real_wide), "frame_difference": match_scores(real_onsets, clip.difference),
               "models": {}}
        for name, pipe in pipelines.items():
            r = pipe.render(clip.path, BANDWIDTH_RATE, seed=seed, truncation=truncation)
            scores = score_track(clip, r["track"], BANDWIDTH_RATE, next_clip)
            row["models"][name] = dict(scores, classes=r["classes"])
            report(_clip_line(row, name))
        rows.append(row)
    result = {"settings": _settings(files, models, seed, truncation, time.perf_counter() - t0),
              "clips": rows, "mean": _means(rows, [name for name, _ in models])}
    if out_dir is not None:
        write_report(result, out_dir)
    return result


def _settings(files, models, seed, truncation, seconds) -> dict:
    return {"videos": list(files), "models": {name: os.fspath(path) for name, path in models}, "seed": seed,
            "truncation": truncation, "score_rate": SCORE_RATE, "onset_hop": ONSET_HOP,
            "match_window_s": MATCH_WINDOW_S, "bandwidth_rate": BANDWIDTH_RATE, "bandwidth_fft": BANDWIDTH_FFT,
            "bandwidth_hop": BANDWIDTH_HOP, "rolloff_percent": ROLLOFF_PERCENT, "loud_fraction": LOUD_FRACTION,
            "flatness_band_hz": list(FLATNESS_BAND_HZ), "difference_side": DIFFERENCE_SIDE, "seconds": seconds}


_ONSET_KEYS = ("f1", "precision", "recall", "accuracy", "ap")


def _mean(values) -> float | None:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else None


def _means(rows, names) -> dict:
    """Means over clips of every per-clip score."""
    out = {"clips": len(rows),
           "real": {k: _mean(r["real"][k] for r in rows) for k in ("bandwidth_hz", "flatness")},
           "frame_difference": {k: _mean(r["frame_difference"][k] for r in rows) for k in _ONSET_KEYS},
           "models": {}}
    for name in names:
        scores = [r["models"][name] for r in rows]
        m = {"own": {k: _mean(s["own"][k] for s in scores) for k in _ONSET_KEYS + ("envelope_r",)},
             "mismatched": None, "length_abs_error_ms": _mean(abs(s["length_error_ms"]) for s in scores)}
        if all(s["mismatched"] is not None for s in scores):
            m["mismatched"] = {k: _mean(s["mismatched"][k] for s in scores) for k in _ONSET_KEYS + ("envelope_r",)}
        for k in ("bandwidth_hz", "flatness"):
            m[k] = _mean(s[k] for s in scores)
        out["models"][name] = m
    return out


# ---- output --------------------------------------------------------------------------------

def _f(x, fmt="{:.2f}") -> str:
    return "–" if x is None or not np.isfinite(x) else fmt.format(x)


def _khz(x) -> str:
    return _f(None if x is None else x / 1000.0, "{:.1f}")


def _clip_line(row: dict, name: str) -> str:
    s = row["models"][name]
    mism = _f(s["mismatched"]["f1"]) if s["mismatched"] else "–"
    return (f"{row['name']} [{name}]: onset F1 {_f(s['own']['f1'])} (mismatched {mism}, frame difference "
            f"{_f(row['frame_difference']['f1'])}), envelope r {_f(s['own']['envelope_r'])}, bandwidth "
            f"{_khz(s['bandwidth_hz'])} kHz (real {_khz(row['real']['bandwidth_hz'])}), flatness "
            f"{_f(s['flatness'])}, {s['classes']}")


def format_summary(report: dict) -> str:
    """One line per model: the means over clips."""
    m = report["mean"]
    lines = []
    for name, s in m["models"].items():
        mism = s["mismatched"]
        lines.append(f"{name}: mean over {m['clips']} clips — onset F1 {_f(s['own']['f1'])} (mismatched "
                     f"{_f(mism['f1']) if mism else '–'}, frame difference {_f(m['frame_difference']['f1'])}), "
                     f"envelope r {_f(s['own']['envelope_r'])} (mismatched "
                     f"{_f(mism['envelope_r']) if mism else '–'}), bandwidth {_khz(s['bandwidth_hz'])} kHz "
                     f"(real {_khz(m['real']['bandwidth_hz'])}), flatness {_f(s['flatness'])} "
                     f"(real {_f(m['real']['flatness'])})")
    return "\n".join(lines)


def format_report_md(report: dict) -> str:
    """The Markdown report: settings, the means over clips, a per-clip table per model."""
    s, m = report["settings"], report["mean"]
    lines = ["# Generated sound vs the videos' own sound", "",
             f"- videos: {m['clips']} (sorted by file name); models: "
             + ", ".join(f"`{n}` = `{p}`" for n, p in s["models"].items()),
             f"- generation: `FoleyPipeline.render` as `foleygan generate` (44.1 kHz, loudness-normalised), z seed "
             f"{s['seed']} for every clip, truncation "
             f"{s['truncation'] if s['truncation'] is not None else 'per model (gan.truncation)'}",
             f"- measure (`foleygan_tf/evaluation/real_video.py`): mono at {s['score_rate']} Hz; onsets "
             f"`librosa.onset.onset_detect` (defaults, hop {s['onset_hop']}); each real onset matched to the "
             f"nearest unused generated onset within ±{s['match_window_s'] * 1000:.0f} ms; P/R/F1 per clip then the "
             "mean over clips; detection accuracy = recall; AP ranked by onset strength; mismatched = the same "
             "generated track vs the next clip's real track; frame difference = onsets from the picture "
             f"({s['difference_side']}² px grey); envelope r = Pearson r of the onset strengths at lag 0; "
             f"bandwidth = median 99 % energy roll-off at {s['bandwidth_rate']} Hz (FFT {s['bandwidth_fft']}, hop "
             f"{s['bandwidth_hop']}) over frames louder than {s['loud_fraction']} × the median frame energy, with "
             f"the median spectral flatness of {s['flatness_band_hz'][0]:.0f} Hz–{s['flatness_band_hz'][1]:.0f} Hz",
             f"- {s['seconds']:.0f} s", "", f"## Mean over {m['clips']} clips", "",
             "| | onset F1 | precision | recall (detection acc.) | AP | envelope r | bandwidth (kHz) | flatness | "
             "length error (ms) |", "|---|---|---|---|---|---|---|---|---|"]

    def onset_cells(x):
        return " | ".join(_f(x[k]) for k in ("f1", "precision", "recall", "ap"))

    for name, x in m["models"].items():
        lines.append(f"| `{name}` generated | {onset_cells(x['own'])} | {_f(x['own']['envelope_r'])} | "
                     f"{_khz(x['bandwidth_hz'])} | {_f(x['flatness'])} | {_f(x['length_abs_error_ms'], '{:.1f}')} |")
        if x["mismatched"]:
            lines.append(f"| `{name}` mismatched reference | {onset_cells(x['mismatched'])} | "
                         f"{_f(x['mismatched']['envelope_r'])} | – | – | – |")
    lines += [f"| frame-difference baseline | {onset_cells(m['frame_difference'])} | – | – | – | – |",
              f"| real tracks | – | – | – | – | – | {_khz(m['real']['bandwidth_hz'])} | "
              f"{_f(m['real']['flatness'])} | – |", ""]
    for name in m["models"]:
        lines += [f"## Per clip: `{name}`", "",
                  "| clip | s | real onsets | F1 generated | F1 mismatched | F1 frame diff. | AP | envelope r | "
                  "r mismatched | bandwidth kHz (gen. / real) | flatness (gen. / real) | length gen. / video (s) | "
                  "class |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in report["clips"]:
            x = r["models"][name]
            mism = x["mismatched"] or {"f1": None, "envelope_r": None}
            lines.append(f"| {r['name']} | {r['duration']:.2f} | {r['real_onsets']} | {_f(x['own']['f1'])} | "
                         f"{_f(mism['f1'])} | {_f(r['frame_difference']['f1'])} | {_f(x['own']['ap'])} | "
                         f"{_f(x['own']['envelope_r'])} | {_f(mism['envelope_r'])} | {_khz(x['bandwidth_hz'])} / "
                         f"{_khz(r['real']['bandwidth_hz'])} | {_f(x['flatness'])} / {_f(r['real']['flatness'])} | "
                         f"{x['generated_s']:.2f} / {r['duration']:.2f} | {x['classes']} |")
        lines.append("")
    return "\n".join(lines)


def write_report(report: dict, out_dir: str) -> None:
    """``out_dir/report.json`` and ``out_dir/report.md`` (each atomic; the folder is created)."""
    from foleygan_tf.atomic import write_json, write_text

    os.makedirs(out_dir, exist_ok=True)
    write_json(os.path.join(out_dir, REPORT_JSON), report)
    write_text(os.path.join(out_dir, REPORT_MD), format_report_md(report))
