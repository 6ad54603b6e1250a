"""Video probing and audio muxing with PyAV (no TensorFlow).

* :func:`probe_video` — start time and duration of a file's first video stream, from the packet
  timestamps (no decoding), the duration the generated track must match.
* :func:`mux_audio` — write ``output_path`` as a copy of the input video with a new mono audio
  track: the video packets are **copied** (no re-encoding) when the output container accepts the
  codec; otherwise the video is re-encoded with libx264 (reported in the result). The input's own
  audio tracks are dropped. The audio is AAC (Opus in WebM/Ogg), starting at the first video
  frame. Written to a temporary name in the output directory, then renamed (never half-written);
  the input is never the output.
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np

__all__ = ["probe_video", "mux_audio", "audio_codec_for", "VideoFileError", "OutputFileError"]

_OPUS_CONTAINERS = (".webm", ".ogg", ".ogv")
_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm",
            ".avi": "avi", ".ogv": "ogg", ".ogg": "ogg"}


class VideoFileError(ValueError):
    """An unreadable video file (message: ``<path>: <problem>``)."""


class OutputFileError(ValueError):
    """An output that cannot be written (message: ``<path>: <problem>``)."""


def audio_codec_for(path: str) -> tuple[str, int]:
    """``(codec, sample_rate)`` of the audio track written into ``path``'s container."""
    ext = os.path.splitext(path)[1].lower()
    return ("libopus", 48000) if ext in _OPUS_CONTAINERS else ("aac", 44100)


def probe_video(path) -> dict:
    """``{"start": s, "duration": s, "fps": f, "codec": name, "frames": n}`` of the first video
    stream (seconds). ``VideoFileError`` (one line) for a file PyAV cannot read or without video."""
    import av

    path = os.fspath(path)
    if os.path.isdir(path):
        raise VideoFileError(f"{path}: is a directory, not a video file")
    if not os.path.isfile(path):
        raise VideoFileError(f"{path}: no such video file")
    if os.path.getsize(path) == 0:
        raise VideoFileError(f"{path}: empty file (0 bytes), not a video")
    try:
        container = av.open(path)
    except Exception as err:  # av.error.InvalidDataError, …
        raise VideoFileError(f"{path}: not a readable video file — corrupt, truncated or not a video "
                             f"({type(err).__name__})") from None
    with container:
        if not container.streams.video:
            raise VideoFileError(f"{path}: has no video stream")
        stream = container.streams.video[0]
        tb = stream.time_base
        first, end, frames = None, None, 0
        try:
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue
                frames += 1
                stop = packet.pts + (packet.duration or 0)
                first = packet.pts if first is None else min(first, packet.pts)
                end = stop if end is None else max(end, stop)
        except av.error.FFmpegError as err:
            if not frames:
                raise VideoFileError(f"{path}: video stream cannot be read ({type(err).__name__})") from None
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        if not frames:
            raise VideoFileError(f"{path}: the video stream has no frames")
        if end == first and fps > 0:  # packets without durations: one frame per 1/fps
            end = first + int(round(frames / fps / tb))
        return {"start": float(first * tb), "duration": float((end - first) * tb), "fps": fps,
                "codec": stream.codec_context.name, "frames": frames}


def _write(video_path, wave, sample_rate, tmp, fmt, codec, start_seconds, copy_video: bool) -> None:
    import av

    with av.open(video_path) as src, av.open(tmp, "w", format=fmt) as dst:
        vin = src.streams.video[0]
        if copy_video:
            vout = dst.add_stream_from_template(vin)
        else:
            rate = vin.average_rate or vin.guessed_rate or Fraction(25)
            vout = dst.add_stream("libx264", rate=rate)
            vout.pix_fmt = "yuv420p"
            vout.width, vout.height = vin.codec_context.width, vin.codec_context.height
            vout.options = {"preset": "veryfast", "crf": "18"}
        aout = dst.add_stream(codec, rate=int(sample_rate))
        aout.layout = "mono"
        if codec == "aac":
            aout.bit_rate = 128000
        # audio first, in chunks; the muxer interleaves by timestamp
        offset = int(round(start_seconds * sample_rate))
        pcm = np.ascontiguousarray(np.clip(np.asarray(wave, np.float32), -1.0, 1.0))
        audio_packets = []
        block = 1024
        for s in range(0, len(pcm), block):
            frame = av.AudioFrame.from_ndarray(pcm[None, s: s + block], format="flt", layout="mono")
            frame.sample_rate = int(sample_rate)
            frame.time_base = Fraction(1, int(sample_rate))
            frame.pts = offset + s
            audio_packets.extend(aout.encode(frame))
        audio_packets.extend(aout.encode(None))
        if copy_video:
            for packet in src.demux(vin):
                if packet.dts is None:
                    continue
                packet.stream = vout
                dst.mux(packet)
        else:
            for frame in src.decode(vin):
                frame.pts = None
                dst.mux(vout.encode(frame.reformat(format="yuv420p")))
            dst.mux(vout.encode(None))
        for packet in audio_packets:
            dst.mux(packet)


def mux_audio(video_path, wave: np.ndarray, sample_rate: int, output_path, start_seconds: float = 0.0) -> dict:
    """Write ``output_path`` = the video of ``video_path`` + ``wave`` (mono float ``[N]`` at
    ``sample_rate``, which must suit the container: :func:`audio_codec_for`) as its only audio
    track. Returns ``{"video": "copied" | "re-encoded", "audio_codec": …}``.

    Raises ``ValueError`` if ``output_path`` is the input file."""
    import av

    video_path, output_path = os.fspath(video_path), os.fspath(output_path)
    if os.path.exists(output_path) and os.path.samefile(video_path, output_path) \
            or os.path.abspath(video_path) == os.path.abspath(output_path):
        raise ValueError(f"{output_path}: is the input video; refusing to overwrite it")
    ext = os.path.splitext(output_path)[1].lower()
    fmt = _FORMATS.get(ext)
    if fmt is None:
        raise ValueError(f"{output_path}: unsupported output container {ext or '(no extension)'}; "
                         f"use one of {', '.join(sorted(_FORMATS))}")
    from foleygan_tf.atomic import atomic_path

    directory = os.path.dirname(os.path.abspath(output_path))
    codec = audio_codec_for(output_path)[0]
    mode = "copied"
    with atomic_path(output_path) as tmp:
        try:  # an unwritable, read-only or non-directory destination: one line naming the output
            os.makedirs(directory, exist_ok=True)
            open(tmp, "wb").close()
        except OSError as err:
            raise OutputFileError(f"{output_path}: cannot write the output ({err.strerror or err}: "
                                  f"{err.filename or directory})") from None
        try:
            _write(video_path, wave, sample_rate, tmp, fmt, codec, start_seconds, copy_video=True)
        except (av.error.FFmpegError, ValueError):
            # the container refuses the input's video codec (e.g. raw video into mp4): re-encode
            if fmt in ("webm", "ogg"):
                raise
            mode = "re-encoded"
            _write(video_path, wave, sample_rate, tmp, fmt, codec, start_seconds, copy_video=False)
    return {"video": mode, "audio_codec": codec, "sample_rate": int(sample_rate)}
