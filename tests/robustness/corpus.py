"""The bad-input corpus of the robustness suite, generated on demand (PyAV / soundfile; nothing committed).

Every maker writes one small file (or directory) and returns its path. ``ITEMS`` maps the corpus
item names used by the tests and by docs/reliability.md to their makers. Sizes are kept tiny (the
4K clip has 3 frames, clips are ≤ 1.5 s) so the whole corpus is written in a few seconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from fractions import Fraction

import numpy as np

SR = 44100


def _frames(n, h, w, seed=0):
    """n RGB frames: a moving bright square on a changing background (real motion for the TRN)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        img = np.full((h, w, 3), (i * 23) % 200 + 20, np.uint8)
        s = max(2, min(h, w) // 4)
        y = (i * 7) % max(1, h - s)
        x = (i * 11) % max(1, w - s)
        img[y:y + s, x:x + s] = rng.integers(150, 255, 3, dtype=np.uint8)
        out.append(img)
    return out


def _tone(seconds, rate, channels=1, kind="tone"):
    n = int(round(seconds * rate))
    t = np.arange(n) / rate
    if kind == "silent":
        x = np.zeros(n, np.float32)
    else:
        x = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2).astype(np.float32)
    return np.repeat(x[None], channels, axis=0)  # [channels, n]


def write_av(path, *, seconds=1.5, fps=24, size=(64, 64), video=True, audio=True, audio_rate=SR,
             channels=1, audio_kind="tone", pix_fmt="yuv420p", vcodec="libx264", acodec="aac",
             frame_times=None, n_frames=None):
    """A video (and/or audio) file written with PyAV. ``size`` = (height, width);
    ``frame_times`` (seconds) gives a variable frame rate (time base 1/1000)."""
    import av

    path = os.fspath(path)
    fps = Fraction(fps).limit_denominator(1001) if not isinstance(fps, Fraction) else fps
    if n_frames is None:
        n_frames = len(frame_times) if frame_times is not None else max(1, int(round(seconds * fps)))
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[channels]
    with av.open(path, "w") as c:
        vs = as_ = None
        if video:
            vs = c.add_stream(vcodec, rate=fps)
            vs.height, vs.width = size
            vs.pix_fmt = pix_fmt
            if vcodec == "libx264":
                vs.options = {"threads": "1", "preset": "ultrafast"}
            if frame_times is not None:
                vs.codec_context.time_base = Fraction(1, 1000)
        if audio:
            as_ = c.add_stream(acodec, rate=audio_rate)
            as_.layout = layout
            if acodec == "aac":
                as_.bit_rate = 64000 * max(1, channels // 2)
        if video:
            for i, img in enumerate(_frames(n_frames, *size)):
                if pix_fmt == "gray":
                    frame = av.VideoFrame.from_ndarray(img[..., 0], format="gray")
                else:
                    frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                if frame_times is not None:
                    frame.pts = int(round(frame_times[i] * 1000))
                    frame.time_base = Fraction(1, 1000)
                for p in vs.encode(frame):
                    c.mux(p)
            for p in vs.encode():
                c.mux(p)
        if audio:
            wave = _tone(seconds, audio_rate, channels, audio_kind)
            if audio_kind == "nan":
                wave[:, len(wave[0]) // 3] = np.nan
                wave[:, len(wave[0]) // 2] = np.inf
            fmt = "fltp"
            block = 1024
            for s in range(0, wave.shape[1], block):
                chunk = np.ascontiguousarray(wave[:, s:s + block])
                if acodec == "pcm_f32le":
                    fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk.T.reshape(1, -1)), format="flt",
                                                    layout=layout)
                else:
                    fr = av.AudioFrame.from_ndarray(chunk, format=fmt, layout=layout)
                fr.sample_rate = audio_rate
                fr.pts = s
                fr.time_base = Fraction(1, audio_rate)
                for p in as_.encode(fr):
                    c.mux(p)
            for p in as_.encode():
                c.mux(p)
    return path


# ---- the corpus ------------------------------------------------------------------------------

def good(path):
    return write_av(path)


def zero_byte(path):
    open(path, "wb").close()
    return os.fspath(path)


def truncated(path):
    tmp = os.fspath(path) + ".full.mp4"
    write_av(tmp, seconds=1.5)
    data = open(tmp, "rb").read()
    os.remove(tmp)
    with open(path, "wb") as f:
        f.write(data[: len(data) * 6 // 10])   # the moov atom (written last by PyAV's mp4 muxer) is lost
    return os.fspath(path)


def text_as_mp4(path):
    with open(path, "w") as f:
        f.write("these are my notes, renamed to .mp4 by mistake\n" * 30)
    return os.fspath(path)


def no_audio(path):
    return write_av(path, audio=False)


def audio_only(path):
    return write_av(path, video=False)


def one_frame(path):
    return write_av(path, n_frames=1, seconds=1 / 24)


def short_0p2s(path):
    return write_av(path, seconds=0.2)


def uhd_4k(path):
    # 3 frames at 2 fps = 1.5 s, so that `prepare`'s 1 s minimum does not hide the resolution
    return write_av(path, seconds=1.5, fps=2, size=(2160, 3840))


def portrait(path):
    return write_av(path, size=(160, 90))


def grayscale(path):
    # a true one-plane (4:0:0) stream: FFV1 gray in Matroska (H.264 yuv420p would carry chroma)
    return write_av(path, pix_fmt="gray", vcodec="ffv1")


def fps60(path):
    return write_av(path, fps=60)


def variable_fps(path):
    # 1.5 s of frames at irregular intervals (10–60 fps), time base 1/1000
    rng = np.random.default_rng(3)
    times = np.cumsum(np.concatenate([[0.0], rng.uniform(1 / 60, 1 / 10, 200)]))
    times = times[times < 1.5]
    return write_av(path, frame_times=list(times), fps=30)


def surround_5_1(path):
    return write_av(path, channels=6)


def audio_8k(path):
    return write_av(path, audio_rate=8000)


def audio_96k(path):
    return write_av(path, audio_rate=96000)


def silent_audio(path):
    return write_av(path, audio_kind="silent")


def nan_audio_video(path):
    # float PCM (pcm_f32le) in Matroska can carry NaN/inf samples, AAC cannot
    return write_av(path, audio_kind="nan", acodec="pcm_f32le")


def nan_wav(path):
    import soundfile

    x = _tone(1.0, 22050)[0]
    x[100] = np.nan
    x[2000] = np.inf
    soundfile.write(os.fspath(path), x, 22050, subtype="FLOAT")
    return os.fspath(path)


def directory_as_file(path):
    os.makedirs(path)
    return os.fspath(path)


# name → (file name, maker): what `prepare` / `generate` are given. The non-ASCII path and the
# read-only output directory are conditions on *where* files are, exercised by dedicated tests;
# the sound-bank variants (corrupt ogg, silent wav, …) live in test_soundbank_corpus.py.
ITEMS = {
    "zero_byte": ("zero_byte.mp4", zero_byte),
    "truncated_mp4": ("truncated.mp4", truncated),
    "text_as_mp4": ("notes.mp4", text_as_mp4),
    "no_audio_track": ("no_audio.mp4", no_audio),
    "audio_only": ("audio_only.mp4", audio_only),
    "one_frame": ("one_frame.mp4", one_frame),
    "short_0.2s": ("short.mp4", short_0p2s),
    "4k": ("uhd.mp4", uhd_4k),
    "portrait": ("portrait.mp4", portrait),
    "grayscale": ("gray.mkv", grayscale),
    "60fps": ("fps60.mp4", fps60),
    "variable_fps": ("vfr.mp4", variable_fps),
    "audio_5.1": ("surround.mp4", surround_5_1),
    "audio_8k": ("rate8k.mp4", audio_8k),
    "audio_96k": ("rate96k.mp4", audio_96k),
    "silent_audio": ("silent.mp4", silent_audio),
    "nan_inf_audio": ("nan_audio.mkv", nan_audio_video),
    "nan_inf_wav": ("nan_inf.wav", nan_wav),
    "directory_as_file": ("folder.mp4", directory_as_file),
}

NON_ASCII_DIR = "dossier à espaces ünï 日本"
NON_ASCII_NAME = "clip é ñ 音 (1).mp4"


def build(root) -> dict[str, str]:
    """Write every item of :data:`ITEMS` into ``root``; ``{item: path}``."""
    os.makedirs(root, exist_ok=True)
    return {name: maker(os.path.join(root, fn)) for name, (fn, maker) in ITEMS.items()}


# ---- a read-only directory that stays read-only for root ------------------------------------

_CAP_DAC = (1 << 1) | (1 << 2)   # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


@contextlib.contextmanager
def read_only_dir(path):
    """``chmod 0555 path`` for the ``with`` block. Under root (CI containers) the calling thread
    also drops CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH from its effective set (capset(2)), so the
    permission bits are enforced for it exactly as for a normal user; both are restored after."""
    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    mode = os.stat(path).st_mode & 0o7777
    os.chmod(path, 0o555)
    libc = hdr = data = old = None
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        hdr, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
        if libc.capget(ctypes.byref(hdr), data) != 0:
            raise OSError(ctypes.get_errno(), "capget failed")
        old = data[0].effective
        data[0].effective = old & ~_CAP_DAC
        if libc.capset(ctypes.byref(hdr), data) != 0:
            raise OSError(ctypes.get_errno(), "capset failed")
    try:
        yield path
    finally:
        if libc is not None:
            data[0].effective = old
            libc.capset(ctypes.byref(hdr), data)
        os.chmod(path, mode)
