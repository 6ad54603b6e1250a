"""``FoleyPipeline``: silent video in → video with a generated, synchronised sound track out.

Runs from the two SavedModels alone (``foleygan export``: ``MODELS_DIR/trn`` and
``MODELS_DIR/generator``) plus OpenCV/PyAV for file I/O — no Keras model code is imported
(``foleygan_tf.video.frames``, ``audio.io``, ``inference.mux`` and ``inference.postfilter`` are
numpy/OpenCV/PyAV helpers). The job (paper Fig. 2, Algorithm 1 line 12):

1. probe the video (PyAV: start time and duration of the video stream) and decode its frames
   (OpenCV, resized to the TRN's frame size);
2. hold the first frame for ``pre_roll`` s (0.25 by default, rounded to whole frames) before the
   video and generate over that too; the audio of the pre-roll is cut away, so the track starts
   inside G's steady-state background rather than with the decoder's edge ramp (a silence →
   background step the onset metric reads as an onset at every clip's start; docs/inference.md
   "Pre-roll"). Then cover this extended clip with windows of one model clip (3 s): a clip no
   longer than that is one window (the TRN puts P_act = 0 after the video ends; the audio is
   trimmed to the video's duration); a longer clip gets ``ceil((D − W) / (W − crossfade)) + 1``
   overlapping windows whose starts are spread evenly from 0 to ``D − W`` and snapped to frame times (the last one rounded *up*, so the
   windows cover the clip). ``W`` is the part of a clip the ISTFT reconstructs (the codec drops the
   last STFT frame: 2.97 s at the paper preset);
3. the TRN SavedModel on each window's frames → class probabilities, S_act and the R-step action
   curve. A TRN trained on resampled shards (export metadata ``frame_rate`` > 0, e.g. 8 fps) gets
   the window's frames resampled to that rate by ``prepare``'s nearest-frame rule
   (``video.frames.resample_indices``): its P_act then has the pair spacing the generator was
   trained on, whatever the video's rate; with ``frame_rate`` 0 the TRN gets the frames at the
   video's rate. The class is chosen **per shot** (docs/inference.md "Class per shot"): shot cuts
   are found from colour histograms (``video.shots.detect_cuts``); each shot's class probabilities
   are the mean of the MTRN's over the windows that overlap it, each weighted by its number of
   frames in the shot (a window across a cut: the TRN run again on its frames on each side of the
   cut) — so the class changes at a scene change and not from window to window. What G gets
   (Algorithm 1: ``Spec_gen ← G(z, Prob_class, Prob_seq)``) follows how it was trained (the
   generator export's ``gan.class_source``): ``"mtrn"`` — the shot's pooled probabilities (G was
   trained on the MTRN's probabilities); ``"label"`` — the one-hot vector of their argmax (G was
   trained on one-hot labels only: a soft vector is a class embedding it never saw). A window
   that straddles a cut is generated once per shot it overlaps (same z, S_act and action curve)
   and the renders are spliced at the cut with a :data:`CUT_FADE_S` equal-power cross-fade.
   ``class_name`` forces one class (one-hot) for the whole video. P_act/S_act always follow the
   TRN's own prediction (the TRN export has no class input);
4. one z per video (``sample_z`` signature of the generator export: ``seed``, ``truncation``),
   shared by all windows so the timbre does not jump; the generator SavedModel → waveform per
   window (decoded, ISTFT, post-filtered in the graph);
5. overlap-add: window k starts at the time of its first frame; between consecutive windows an
   equal-power cross-fade (sin/cos, ``crossfade`` s, shortened when the overlap is shorter) centred
   in their overlap; the track has exactly ``round(duration × rate)`` samples and starts at the
   first video frame;
6. resample (soxr) to the container's audio rate (44.1 kHz AAC; 48 kHz Opus for WebM/Ogg),
   loudness normalisation (RMS −20 dBFS, peak ≤ −1 dBFS — ``postfilter.normalize_loudness``),
   mux into a copy of the video (video packets copied, not re-encoded, where the container allows).

The input is never overwritten; outputs are written atomically. Errors about the input are one-line
``ValueError``/``FileNotFoundError`` messages naming the file.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

__all__ = ["FoleyPipeline", "plan_windows", "crossfade_weights", "trn_frame_rate", "frames_for_trn", "check_frame_rate",
           "pool_shot_probs", "cut_masks", "class_segments", "describe_classes", "generator_class_source"]

DEFAULT_CROSSFADE = 0.5
# Seconds of lead-in generated before the first frame and cut away (our choice, docs/inference.md
# "Pre-roll"): ≥ the ISTFT's edge ramp (3/4 of a frame, 70 ms at bundled) + half the 512-tap
# post-filter (93 ms at bundled), so the track starts inside G's steady-state background, like a
# cut from a continuous recording, instead of with a silence → background step.
DEFAULT_PRE_ROLL = 0.25
MAX_WINDOWS_PER_CALL = 8
# Length of the equal-power cross-fade between the renders of two shots at a cut inside a window
# (our choice: short enough to sound like the cut, long enough not to click).
CUT_FADE_S = 0.05


def plan_windows(num_frames: int, fps: float, duration: float, window_seconds: float,
                 crossfade: float = DEFAULT_CROSSFADE) -> list[tuple[int, int]]:
    """``[(first_frame, stop_frame), …]`` of the analysis windows of a clip (module step 2)."""
    if num_frames < 1:
        raise ValueError("the clip has no frame")
    per_window = max(1, int(math.ceil(window_seconds * fps - 1e-6)))
    if duration <= window_seconds + 1e-9:
        return [(0, num_frames)]
    hop = max(window_seconds - crossfade, window_seconds / 2.0)
    n = int(math.ceil((duration - window_seconds) / hop - 1e-9)) + 1
    starts = np.linspace(0.0, duration - window_seconds, n)
    firsts = [int(round(s * fps)) for s in starts[:-1]] + [int(math.ceil((duration - window_seconds) * fps - 1e-6))]
    windows = []
    for first in firsts:
        first = min(max(first, 0), num_frames - 1)
        if windows and first <= windows[-1][0]:
            continue
        windows.append((first, min(num_frames, first + per_window)))
    return windows


def crossfade_weights(starts: list[int], length: int, total: int, fade: int) -> list[tuple[int, np.ndarray]]:
    """Equal-power cross-fade weights for windows of ``length`` samples starting at ``starts``
    (increasing) in a track of ``total`` samples: ``[(offset, weights), …]`` where window k
    contributes ``weights * wave_k[:len(weights)]`` at ``offset``. Between windows k and k+1 a
    sin/cos fade of ``min(fade, overlap, hop_k, hop_k+1)`` samples sits centred in their overlap;
    Σ w² = 1 everywhere the track is covered."""
    n = len(starts)
    bounds = []  # (fade_start, fade_stop) between k and k+1
    for k in range(n - 1):
        overlap = starts[k] + length - starts[k + 1]
        hops = [starts[k + 1] - starts[k]] + ([starts[k + 2] - starts[k + 1]] if k + 2 < n else [])
        f = max(1, min([fade, overlap] + hops))
        centre = (starts[k + 1] + starts[k] + length) / 2.0
        lo = int(round(centre - f / 2.0))
        bounds.append((lo, lo + f))
    out = []
    for k, s in enumerate(starts):
        lo = bounds[k - 1][0] if k > 0 else s
        hi = bounds[k][1] if k < n - 1 else min(s + length, total)
        hi = min(hi, total, s + length)
        w = np.ones(max(0, hi - lo), np.float32)
        if k > 0:
            a, b = bounds[k - 1]
            t = (np.arange(a, b) - a + 0.5) / (b - a)
            w[: b - a] = np.sin(0.5 * np.pi * t)[: len(w)]
        if k < n - 1:
            a, b = bounds[k]
            t = (np.arange(a, b) - a + 0.5) / (b - a)
            w[a - lo: b - lo] = np.cos(0.5 * np.pi * t)[: max(0, len(w) - (a - lo))]
        out.append((lo, w))
    return out


def pool_shot_probs(parts, num_shots: int) -> np.ndarray:
    """Class probabilities per shot ``[num_shots, C]`` from ``parts`` = ``[(shot, frames, probs
    [C]), …]`` (the MTRN on the frames of one window inside one shot): per shot the mean of its
    parts' probabilities weighted by their numbers of frames."""
    out, total = None, np.zeros(num_shots)
    for shot, frames, probs in parts:
        probs = np.asarray(probs, np.float64)
        out = np.zeros((num_shots, len(probs))) if out is None else out
        out[shot] += frames * probs
        total[shot] += frames
    if out is None or not np.all(total > 0):
        raise ValueError("every shot needs at least one window part with frames")
    return out / total[:, None]


def cut_masks(length: int, cuts, fade: int) -> np.ndarray:
    """Equal-power masks ``[len(cuts) + 1, length]`` that splice ``len(cuts) + 1`` renders of one
    window at the sample positions ``cuts`` (ascending, ≥ ``fade`` apart): render ``i`` plays
    between cut ``i − 1`` and cut ``i``, with a sin/cos cross-fade of ``fade`` samples centred on
    each cut; Σ masks² = 1."""
    t = np.arange(length, dtype=np.float64)
    masks = np.ones((len(cuts) + 1, length))
    for i, c in enumerate(cuts):
        ramp = np.clip((t - c) / max(1, fade) + 0.5, 0.0, 1.0)
        masks[i] *= np.cos(0.5 * np.pi * ramp)
        masks[i + 1] *= np.sin(0.5 * np.pi * ramp)
    return masks.astype(np.float32)


def class_segments(shots: list[dict]) -> list[dict]:
    """Consecutive shots of one class merged: ``[{"start", "end", "class_name", "shots"}, …]``."""
    out: list[dict] = []
    for shot in shots:
        if out and out[-1]["class_name"] == shot["class_name"]:
            out[-1]["end"], out[-1]["shots"] = shot["end"], out[-1]["shots"] + 1
        else:
            out.append({"start": shot["start"], "end": shot["end"], "class_name": shot["class_name"], "shots": 1})
    return out


def describe_classes(segments: list[dict]) -> str:
    """``"footstep"``, ``"rain → thunder (2 shots)"``: the class timeline in a few words."""
    shots = sum(seg["shots"] for seg in segments)
    names = " → ".join(seg["class_name"] for seg in segments)
    return names + (f" ({shots} shots)" if shots > 1 else "")


def generator_class_source(gen_meta: dict) -> str:
    """How the exported generator was trained to take its class: ``"mtrn"`` (the MTRN's class
    probabilities) or ``"label"`` (one-hot labels) — its config's ``gan.class_source`` (schema-1
    exports and exports without a config: ``"label"``, as they were trained)."""
    from foleygan_tf.migrations import upgrade_config

    if not gen_meta.get("config"):
        return "label"
    return upgrade_config(gen_meta["config"]).get("gan", {}).get("class_source", "mtrn")


# Audio settings that only the decoder reads: a TRN and a generator may differ in them.
DECODE_ONLY_AUDIO = ("griffin_lim_iters", "lms_refine_iters")


def check_compatible(trn_meta: dict, gen_meta: dict, trn_dir="trn", generator_dir="generator") -> None:
    """``ValueError`` (one line, naming both directories) unless the TRN export's S_act is the
    image the generator was trained on: same classes and the same audio settings (geometry and
    encoding; decode-only settings may differ). Old exports without a config are compared on
    image size and sample rate only."""
    if trn_meta["class_names"] != gen_meta["class_names"]:
        raise ValueError(f"{trn_dir} and {generator_dir} were trained on different classes")
    ta, ga = (trn_meta.get("config") or {}).get("audio"), (gen_meta.get("config") or {}).get("audio")
    if ta is not None and ga is not None:
        differ = sorted(k for k in set(ta) | set(ga) if k not in DECODE_ONLY_AUDIO and ta.get(k) != ga.get(k))
    else:
        differ = [k for k in ("image_size", "sample_rate") if trn_meta.get(k) != gen_meta.get(k)]
    if differ:
        shown = ", ".join(f"audio.{k} {(ta or trn_meta).get(k)!r} vs {(ga or gen_meta).get(k)!r}" for k in differ[:4])
        raise ValueError(f"{trn_dir} and {generator_dir} use different spectrogram settings ({shown}): "
                         "the TRN's action spectrogram would not be the image the generator was trained on")


def trn_frame_rate(trn_meta: dict) -> float:
    """The frame rate the exported TRN expects (its metadata's ``frame_rate``; exports made before
    that key existed: derived from their config the same way) — 0.0 = the video's own rate."""
    from foleygan_tf.video.frames import trained_frame_rate

    if "frame_rate" in trn_meta:
        return float(trn_meta["frame_rate"])
    video = (trn_meta.get("config") or {}).get("video") or {}
    clip_seconds = float(trn_meta["clip_samples"]) / float(trn_meta["sample_rate"])
    return trained_frame_rate(int(video.get("frames_per_clip", 0)), clip_seconds)


def frames_for_trn(frames: np.ndarray, fps: float, trn_fps: float) -> tuple[np.ndarray, float]:
    """``(frames, fps)`` resampled to the TRN's training rate ``trn_fps`` (``round(T / fps ·
    trn_fps)`` frames, at least 1, frame ``i`` = the source frame nearest to ``i / trn_fps``) when
    it is set (> 0) and differs from ``fps``; else unchanged."""
    from foleygan_tf.video.frames import resample_indices

    if trn_fps <= 0 or abs(fps - trn_fps) < 1e-6:
        return frames, fps
    count = max(1, int(math.floor(len(frames) / fps * trn_fps + 0.5)))
    return frames[resample_indices(count, trn_fps, fps, len(frames))], trn_fps


def check_frame_rate(rates, trn_fps: float, where: str) -> None:
    """One-line ``ValueError`` naming ``where`` unless every rate in ``rates`` is the TRN's training
    rate ``trn_fps`` (0 = any rate): frames at another rate give a P_act G was not trained on."""
    off = sorted({round(float(r), 3) for r in rates if abs(float(r) - trn_fps) > 1e-3})
    if trn_fps > 0 and off:
        raise ValueError(f"{where}: frames at {off} fps, but the TRN export expects {trn_fps:g} fps "
                         "(prepare the shards with the TRN's video.frames_per_clip)")


class FoleyPipeline:
    """The whole job from the two SavedModels. Build with :meth:`from_saved_models`."""

    TRN_SUBDIR = "trn"
    GENERATOR_SUBDIR = "generator"

    def __init__(self, trn_dir: str, generator_dir: str, *, crossfade: float = DEFAULT_CROSSFADE,
                 loudness_dbfs: float = -20.0, peak_dbfs: float = -1.0, pre_roll: float = DEFAULT_PRE_ROLL):
        import tensorflow as tf

        from foleygan_tf.inference.exports import saved_model_metadata

        for d in (trn_dir, generator_dir):
            if not os.path.isfile(os.path.join(d, "saved_model.pb")):
                raise FileNotFoundError(f"{d}: no SavedModel (saved_model.pb) — export one with `foleygan export`")
        self.trn_dir, self.generator_dir = os.fspath(trn_dir), os.fspath(generator_dir)
        self._trn = tf.saved_model.load(self.trn_dir)
        self._gen = tf.saved_model.load(self.generator_dir)
        self.trn_meta = saved_model_metadata(self._trn, self.trn_dir)
        self.gen_meta = saved_model_metadata(self._gen, self.generator_dir)
        check_compatible(self.trn_meta, self.gen_meta, trn_dir, generator_dir)
        self.serve_trn = self._trn.signatures["serving_default"]
        self.serve_gen = self._gen.signatures["serving_default"]
        self.sample_z_fn = self._gen.signatures["sample_z"]
        self.class_names = list(self.gen_meta["class_names"])
        self.class_source = generator_class_source(self.gen_meta)
        self.sample_rate = int(self.gen_meta["sample_rate"])
        self.clip_samples = int(self.gen_meta["clip_samples"])
        audio = self.gen_meta["config"]["audio"]
        frames = 1 + (self.clip_samples - audio["frame_length"]) // audio["frame_step"]
        frames = min(frames, int(audio["image_size"]))
        # the part of a clip the ISTFT reconstructs (the codec drops the last STFT frame)
        self.window_samples = min(self.clip_samples, (frames - 1) * audio["frame_step"] + audio["frame_length"])
        self.frame_size = int(self.trn_meta["frame_size"])
        self.trn_fps = trn_frame_rate(self.trn_meta)
        self.crossfade = float(crossfade)
        if not (math.isfinite(pre_roll) and 0.0 <= pre_roll < 1.0):
            raise ValueError(f"pre_roll must be in [0, 1) s, got {pre_roll}")
        self.pre_roll = float(pre_roll)
        self.loudness_dbfs, self.peak_dbfs = float(loudness_dbfs), float(peak_dbfs)

    @classmethod
    def from_saved_models(cls, models_dir, **kwargs) -> "FoleyPipeline":
        """``models_dir/trn`` and ``models_dir/generator`` (the layout ``foleygan export`` writes)."""
        models_dir = os.fspath(models_dir)
        if not os.path.isdir(models_dir):
            raise FileNotFoundError(f"{models_dir}: no such models directory")
        return cls(os.path.join(models_dir, cls.TRN_SUBDIR), os.path.join(models_dir, cls.GENERATOR_SUBDIR), **kwargs)

    # ---- the audio ---------------------------------------------------------------------------
    def sample_z(self, seed: int, truncation: float | None = None) -> np.ndarray:
        """``[1, z_dim]`` from the generator export's ``sample_z`` (true truncation in the graph)."""
        import tensorflow as tf

        t = self.gen_meta["default_truncation"] if truncation is None else float(truncation)
        if t > 0 and t < 0.04:
            raise ValueError(f"truncation must be ≥ 0.04 (or ≤ 0 for none), got {t}")
        return self.sample_z_fn(seed=tf.constant(int(seed), tf.int64), num=tf.constant(1, tf.int32),
                                truncation=tf.constant(t, tf.float32))["z"].numpy()

    def class_index(self, class_name: str) -> int:
        if class_name not in self.class_names:
            raise ValueError(f"unknown class {class_name!r}; the models know: {', '.join(self.class_names)}")
        return self.class_names.index(class_name)

    def trn_frames(self, frames: np.ndarray, fps: float) -> tuple[np.ndarray, float]:
        """``(frames, fps)`` as the TRN expects them (:func:`frames_for_trn` at :attr:`trn_fps`)."""
        return frames_for_trn(frames, fps, self.trn_fps)

    def _run_trn(self, frames: np.ndarray, fps: float) -> tuple[dict, float]:
        """The TRN SavedModel on one clip's frames ``[T, H, W, 3]`` (resampled by
        :meth:`trn_frames`): ``({output: array without the batch axis}, the rate it saw)``."""
        import tensorflow as tf

        clip, clip_fps = self.trn_frames(frames, fps)
        out = self.serve_trn(frames=tf.constant(clip[None]), fps=tf.constant([clip_fps], tf.float32))
        return {k: v.numpy()[0] for k, v in out.items()}, clip_fps

    def _shot_probs(self, frames, fps, windows, shots, renders, window_probs) -> np.ndarray:
        """``[S, C]`` class probabilities of the ``shots`` (:func:`pool_shot_probs`): a window
        entirely inside a shot counts with its own probabilities, a window across a cut with the
        MTRN run again on its frames on each side."""
        parts = []
        for k, s in renders:
            (first, stop), (a, b) = windows[k], shots[s]
            lo, hi = max(first, a), min(stop, b)
            if (lo, hi) == (first, stop):
                parts.append((s, hi - lo, window_probs[k]))
            else:
                parts.append((s, hi - lo, self._run_trn(frames[lo:hi], fps)[0]["class_probs"]))
        return pool_shot_probs(parts, len(shots))

    def synthesize(self, frames: np.ndarray, fps: float, duration: float | None = None, *, seed: int = 0,
                   truncation: float | None = None, class_name: str | None = None) -> dict:
        """Audio for decoded frames (uint8 ``[T, H, W, 3]``) at ``fps``; ``duration`` (s) defaults
        to ``T / fps``. Returns ``{"wave": [round(duration·sample_rate)] float32 at the model
        rate (not normalised), "class_name" (the class heard longest), "class_source" ("mtrn" or
        "user"), "class_probs" [C] (frame-weighted mean over the windows), "shots" ([{"start",
        "end" (video time, s), "class_name", "class_probs" [C] (pooled), "class_input" [C] (what G
        got)}]), "segments" (consecutive shots of one class merged: [{"start", "end",
        "class_name", "shots"}]), "classes" (:func:`describe_classes`), "windows" (frame ranges on
        the timeline extended by the pre-roll's held first frame), "p_act_times" (video time),
        "p_act"}``."""
        import tensorflow as tf

        from foleygan_tf.video.shots import detect_cuts, shot_bounds

        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[0] < 1 or frames.shape[-1] != 3 or min(frames.shape[1:3]) < 1:
            raise ValueError(f"expected RGB frames [T, H, W, 3] with T ≥ 1, got shape {frames.shape}")
        if frames.dtype != np.uint8:  # a float [0, 1] image cast to uint8 would be black: refuse it
            raise ValueError(f"expected uint8 frames (0–255), got dtype {frames.dtype}")
        fps = float(fps)
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be a positive number, got {fps}")
        duration = frames.shape[0] / fps if duration is None else float(duration)
        sr = self.sample_rate
        window_seconds = self.window_samples / sr
        num_classes = len(self.class_names)
        # pre-roll: the first frame held for `lead` s before the video (a still: no action), the
        # audio generated over it cut away below; windows are planned on the extended timeline
        pre = int(round(self.pre_roll * fps))
        lead, lead_samples = pre / fps, int(round(pre / fps * sr))
        video_frames = frames
        if pre:
            frames = np.concatenate([np.repeat(frames[:1], pre, axis=0), frames])
        windows = plan_windows(frames.shape[0], fps, duration + lead, window_seconds, self.crossfade)
        trn, trn_fps = [], []
        for first, stop in windows:
            out, clip_fps = self._run_trn(frames[first:stop], fps)
            trn.append(out)
            trn_fps.append(clip_fps)
        window_probs = np.stack([t["class_probs"] for t in trn]).astype(np.float64)
        weights = np.array([stop - first for first, stop in windows], np.float64)
        mean_probs = weights @ window_probs / weights.sum()
        # the class per shot (module step 3); renders: (window, shot) for every shot a window overlaps
        shots = [(0, frames.shape[0])]
        if class_name is None:
            shots = shot_bounds([c + pre for c in detect_cuts(video_frames, fps)], frames.shape[0])
        renders = [(k, s) for k, (first, stop) in enumerate(windows) for s, (a, b) in enumerate(shots)
                   if min(stop, b) > max(first, a)]
        if class_name is None:
            shot_probs, source = self._shot_probs(frames, fps, windows, shots, renders, window_probs), "mtrn"
            shot_class = shot_probs.argmax(axis=1)
        else:
            shot_class, source = np.array([self.class_index(class_name)]), "user"
            shot_probs = np.eye(num_classes)[shot_class]
        shot_input = (shot_probs if source == "mtrn" and self.class_source == "mtrn"
                      else np.eye(num_classes)[shot_class]).astype(np.float32)
        z = self.sample_z(seed, truncation)
        s_act = np.stack([t["action_spectrogram"] for t in trn]).astype(np.float32)
        curve = np.stack([t["action_curve"] for t in trn]).astype(np.float32)
        rendered = []
        for b in range(0, len(renders), MAX_WINDOWS_PER_CALL):
            ks, ss = map(list, zip(*renders[b: b + MAX_WINDOWS_PER_CALL]))
            got = self.serve_gen(z=tf.constant(np.repeat(z, len(ks), axis=0)), class_probs=tf.constant(shot_input[ss]),
                                 action_spectrogram=tf.constant(s_act[ks]), action_curve=tf.constant(curve[ks]))
            rendered.append(got["waveform"].numpy())
        rendered = np.concatenate(rendered)
        n = len(windows)
        starts = [int(round(first / fps * sr)) for first, _ in windows]
        fade = int(round(CUT_FADE_S * sr))
        waves = []
        for k in range(n):
            mine = [r for r, (kk, _) in enumerate(renders) if kk == k]
            cuts = [int(round(shots[renders[r][1]][0] / fps * sr)) - starts[k] for r in mine[1:]]
            waves.append((cut_masks(rendered.shape[1], cuts, fade) * rendered[mine]).sum(axis=0))
        total = lead_samples + int(round(duration * sr))
        track = np.zeros(total, np.float32)
        for (offset, w), wave, start in zip(crossfade_weights(starts, self.window_samples, total,
                                                              int(round(self.crossfade * sr))), waves, starts):
            seg = wave[offset - start: offset - start + len(w)]
            track[offset: offset + len(seg)] += w[: len(seg)] * seg
        # P_act on the video timeline: each window's pairs, later windows taking over at the
        # centre of the overlap (the plot)
        times, values = [], []
        begins = [first / fps for first, _ in windows]
        for k, (t, rate) in enumerate(zip(trn, trn_fps)):
            tt = begins[k] + (np.arange(len(t["p_act"])) + 0.5) / rate
            keep = np.ones(len(tt), bool)
            if k > 0:
                keep &= tt >= (begins[k - 1] + begins[k] + window_seconds) / 2.0
            if k < n - 1:
                keep &= tt < (begins[k] + begins[k + 1] + window_seconds) / 2.0
            keep &= tt >= lead                              # not the pre-roll's pairs
            times.append(tt[keep] - lead)
            values.append(t["p_act"][keep])
        track = track[lead_samples:]
        shot_list = [{"start": 0.0 if s == 0 else (a - pre) / fps,
                      "end": duration if s == len(shots) - 1 else (b - pre) / fps,
                      "class_name": self.class_names[int(shot_class[s])],
                      "class_probs": shot_probs[s].astype(np.float32), "class_input": shot_input[s]}
                     for s, (a, b) in enumerate(shots)]
        segments = class_segments(shot_list)
        longest = max(segments, key=lambda seg: seg["end"] - seg["start"])
        return {"wave": track, "class_name": longest["class_name"], "class_source": source,
                "class_probs": mean_probs.astype(np.float32), "shots": shot_list, "segments": segments,
                "classes": describe_classes(segments), "windows": windows,
                "p_act_times": np.concatenate(times), "p_act": np.concatenate(values)}

    # ---- files -------------------------------------------------------------------------------
    def render(self, video_path, sample_rate: int, *, seed: int = 0, truncation: float | None = None,
               class_name: str | None = None) -> dict:
        """The track :meth:`generate` muxes into a copy of ``video_path``, at ``sample_rate``:
        :meth:`synthesize`'s result plus ``"track"`` (float32 ``[round(duration · sample_rate)]``,
        resampled and loudness-normalised), ``"track_rate"``, ``"duration"`` (s, the video
        stream's), ``"start"`` (s, the video stream's first time stamp) and ``"fps"``."""
        from foleygan_tf.inference.mux import probe_video
        from foleygan_tf.inference.postfilter import normalize_loudness
        from foleygan_tf.video.frames import read_frames

        video_path = os.fspath(video_path)
        if class_name is not None:
            self.class_index(class_name)  # fail before any work
        info = probe_video(video_path)
        frames, fps = read_frames(video_path, frame_size=self.frame_size)
        duration = info["duration"] if info["duration"] > 0 else frames.shape[0] / fps
        result = self.synthesize(frames, fps, duration, seed=seed, truncation=truncation, class_name=class_name)
        track = _resample(result["wave"], self.sample_rate, sample_rate, int(round(duration * sample_rate)))
        result.update(track=normalize_loudness(track, self.loudness_dbfs, self.peak_dbfs), track_rate=int(sample_rate),
                      duration=duration, start=info["start"], fps=fps)
        return result

    def generate(self, video_path, output_path, *, seed: int = 0, truncation: float | None = None,
                 class_name: str | None = None, wav: bool = False, plot: bool = False) -> dict:
        """Write ``output_path`` = ``video_path`` with the generated track muxed in (plus
        ``<output stem>.wav`` with ``wav`` and ``<output stem>.png`` with ``plot``: the
        spectrogram, P_act and the class timeline).

        Returns ``{"output", "wav", "plot", "class_name", "class_source", "classes", "segments",
        "duration", "windows", "video", "seconds"}``."""
        from foleygan_tf.audio.io import write_wav
        from foleygan_tf.audio.plots import plot_spectrogram
        from foleygan_tf.inference.mux import audio_codec_for, mux_audio
        from foleygan_tf.inference.postfilter import normalize_loudness

        t0 = time.perf_counter()
        video_path, output_path = os.fspath(video_path), os.fspath(output_path)
        if os.path.abspath(video_path) == os.path.abspath(output_path) or (
                os.path.exists(output_path) and os.path.exists(video_path) and os.path.samefile(video_path, output_path)):
            raise ValueError(f"{output_path}: is the input video; refusing to overwrite it")
        _, out_rate = audio_codec_for(output_path)
        result = self.render(video_path, out_rate, seed=seed, truncation=truncation, class_name=class_name)
        track, duration = result["track"], result["duration"]
        muxed = mux_audio(video_path, track, out_rate, output_path, start_seconds=result["start"])
        stem = os.path.splitext(output_path)[0]
        wav_path = plot_path = None
        if wav:
            wav_path = stem + ".wav"
            write_wav(wav_path, track, out_rate)
        if plot:
            plot_path = stem + ".png"
            plot_spectrogram(plot_path, normalize_loudness(result["wave"], self.loudness_dbfs, self.peak_dbfs),
                             self.sample_rate, result["p_act_times"], result["p_act"],
                             title=f"{os.path.basename(video_path)} — {result['classes']} "
                                   f"({'given' if result['class_source'] == 'user' else 'predicted'})",
                             nfft=int(self.gen_meta["config"]["audio"]["frame_length"]),
                             hop=int(self.gen_meta["config"]["audio"]["frame_step"]),
                             segments=[(seg["start"], seg["end"], seg["class_name"]) for seg in result["segments"]])
        return {"output": output_path, "wav": wav_path, "plot": plot_path, "class_name": result["class_name"],
                "class_source": result["class_source"], "classes": result["classes"], "segments": result["segments"],
                "duration": duration, "windows": len(result["windows"]), "video": muxed["video"],
                "sample_rate": out_rate, "samples": int(len(track)), "seconds": time.perf_counter() - t0}


def _resample(wave: np.ndarray, rate_in: int, rate_out: int, length: int) -> np.ndarray:
    """soxr (high quality, linear phase: no delay), then cropped/zero-padded to ``length``."""
    wave = np.asarray(wave, np.float32)
    if rate_in != rate_out:
        import soxr

        wave = soxr.resample(wave, rate_in, rate_out, quality="HQ").astype(np.float32)
    if len(wave) >= length:
        return wave[:length]
    return np.pad(wave, (0, length - len(wave)))
