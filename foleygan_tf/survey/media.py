"""Media files of a study (PyAV; no TensorFlow).

* :func:`transcode_master` — the clip's picture as browsers play it: H.264 (libx264, yuv420p, even
  width and height, the longer side at most ``max_side``), no audio, frames at the source's average
  frame rate from t = 0. One per clip, shared by all its conditions.
* :func:`recorded_track` — the clip's own recorded sound on the video's timeline (the audio
  stream's start offset against the first video frame applied), mono, cropped or zero-padded to
  the video's duration; ``None`` when the file has no audio stream.
* :func:`write_condition` — a condition's file: the master's H.264 packets copied and the track as
  AAC (``inference.mux.mux_audio``, which writes atomically).
* :func:`write_track` / :func:`read_track` — raw float tracks of the resumable build (float WAV).
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np

from foleygan_tf.atomic import atomic_path

__all__ = ["AUDIO_RATE", "MAX_SIDE", "has_audio", "transcode_master", "recorded_track", "write_condition",
           "write_track", "read_track", "fit_duration"]

AUDIO_RATE = 44100      # the AAC rate of every condition (inference.mux.audio_codec_for for .mp4)
MAX_SIDE = 1280         # pixels: larger pictures are scaled down for the page


def has_audio(path) -> bool:
    import av

    with av.open(os.fspath(path)) as container:
        return bool(container.streams.audio)


def _even_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def transcode_master(src, dst, max_side: int = MAX_SIDE) -> dict:
    """Write ``dst`` (mp4): ``src``'s video re-encoded for browsers (module docstring), atomically.
    Returns ``{"width", "height", "fps", "frames"}``."""
    import av

    src, dst = os.fspath(src), os.fspath(dst)
    with atomic_path(dst) as tmp:
        with av.open(src) as inp, av.open(tmp, "w", format="mp4") as out:
            vin = inp.streams.video[0]
            rate = vin.average_rate or vin.guessed_rate or Fraction(25)
            width, height = _even_size(vin.codec_context.width, vin.codec_context.height, max_side)
            vout = out.add_stream("libx264", rate=rate)
            vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
            vout.options = {"preset": "veryfast", "crf": "20"}
            frames = 0
            for frame in inp.decode(vin):
                image = frame.reformat(width=width, height=height, format="yuv420p")
                image.pts, image.time_base = frames, 1 / rate      # constant frame rate from 0
                out.mux(vout.encode(image))
                frames += 1
            out.mux(vout.encode(None))
    if not frames:
        raise ValueError(f"{src}: the video stream has no frames")
    return {"width": width, "height": height, "fps": float(rate), "frames": frames}


def fit_duration(wave: np.ndarray, samples: int, loop: bool = False) -> np.ndarray:
    """``wave`` cropped to ``samples``; a shorter one zero-padded, or repeated with ``loop``."""
    from foleygan_tf.audio.io import fit_length

    wave = np.asarray(wave, np.float32)
    if loop and 0 < len(wave) < samples:
        wave = np.tile(wave, -(-samples // len(wave)))
    return fit_length(wave, samples)


def recorded_track(video, start: float, duration: float, rate: int = AUDIO_RATE) -> np.ndarray | None:
    """The recorded sound of ``video`` whose first video frame is at ``start`` s, as
    ``round(duration · rate)`` mono samples at ``rate``; ``None`` without an audio stream."""
    import av

    from foleygan_tf.audio.io import load_audio

    video = os.fspath(video)
    with av.open(video) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        audio_start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    wave = load_audio(video, rate)
    shift = int(round((audio_start - start) * rate))
    wave = np.concatenate([np.zeros(shift, np.float32), wave]) if shift > 0 else wave[-shift:]
    return fit_duration(wave, int(round(duration * rate)))


def write_condition(master, track: np.ndarray, out, rate: int = AUDIO_RATE) -> None:
    """``out`` (mp4) = the master's H.264 packets + ``track`` (mono ``[N]`` at ``rate``) as AAC."""
    from foleygan_tf.inference.mux import mux_audio

    mux_audio(master, track, rate, out)     # atomic (foleygan_tf.atomic)


def write_track(path, wave: np.ndarray, rate: int) -> None:
    """A raw track (32-bit float WAV, not clipped), atomically."""
    import soundfile

    with atomic_path(path) as tmp:
        soundfile.write(tmp, np.asarray(wave, np.float32), int(rate), subtype="FLOAT", format="WAV")


def read_track(path) -> np.ndarray:
    import soundfile

    wave, _ = soundfile.read(os.fspath(path), dtype="float32")
    return wave
