"""Assertions shared by the robustness tests (one-line errors, leftovers, output checks)."""

import os

import numpy as np


def assert_one_line_error(code, err, *words):
    """Exit code 2, no traceback, and the last stderr line is ``foleygan: error: …`` holding every
    word of ``words`` (the file and the problem)."""
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert code == 2, (code, err)
    assert "Traceback" not in err, err
    assert lines and lines[-1].startswith("foleygan: error:"), err
    for w in words:
        assert w in lines[-1], (w, lines[-1])
    return lines[-1]


def leftovers(folder):
    """Every file under ``folder`` (recursively), relative, including hidden temporaries."""
    out = []
    for dirpath, _, files in os.walk(folder):
        out += [os.path.relpath(os.path.join(dirpath, f), folder) for f in files]
    return sorted(out)


def streams(path):
    """``{"video": {...}, "audio": {...}}`` of a media file (PyAV): codec, duration (s), size, rate."""
    import av

    with av.open(str(path)) as c:
        out = {}
        for s in c.streams:
            out[s.type] = {"codec": s.codec_context.name,
                           "duration": float(s.duration * s.time_base) if s.duration else None,
                           "rate": getattr(s, "rate", None), "width": getattr(s, "width", None),
                           "height": getattr(s, "height", None)}
        return out


def video_packets(path):
    import av

    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.video[0]) if p.dts is not None]


def decoded_audio(path):
    import av

    with av.open(str(path)) as c:
        return np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])


def assert_generated(inp, out, probe_duration):
    """``out`` is a complete copy of ``inp`` with one AAC track as long as the video (± one AAC
    frame), video packets copied; its ``.wav`` sibling (if any) is finite, normalised, not silent."""
    info = streams(out)
    assert set(info) == {"video", "audio"}, info
    assert info["audio"]["codec"] == "aac" and info["audio"]["rate"] == 44100
    assert abs(info["video"]["duration"] - probe_duration) < 2e-3, (info, probe_duration)
    assert abs(info["audio"]["duration"] - info["video"]["duration"]) <= 1024 / 44100 + 1e-6, info
    assert video_packets(out) == video_packets(inp)
    wav = os.path.splitext(out)[0] + ".wav"
    if os.path.exists(wav):
        import soundfile

        data, rate = soundfile.read(wav)
        assert rate == 44100 and len(data) == int(round(probe_duration * 44100))
        assert np.all(np.isfinite(data)) and 0.01 < float(np.sqrt(np.mean(data ** 2))) < 0.2
    return info


def clip_id(item, path):
    """The clip id `prepare` gives a corpus item in the `prepared` fixture's dataset."""
    if item == "non_ascii":
        return "clock/" + "/".join(path.split(os.sep)[-2:])
    return "footstep/" + os.path.basename(path)
