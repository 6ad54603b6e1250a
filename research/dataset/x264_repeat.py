"""Are ``synth-data``'s mp4 bytes reproducible? Encode one clip N times and count the variants.

``foleygan synth-data`` renders bit-identical frames and waves for a seed, and its AAC stream is
byte-identical; x264 (one thread) occasionally makes different rate-control decisions for the same
input frames when the CPU is contended, so the H.264 payload can differ while the decoded frames
stay close. ``tests/test_synth_data.py`` therefore compares decoded frames (PSNR ≥ 30 dB), not
bytes. This encodes one synthetic clip's frames ``N`` times in one process with
``synth.write_mp4`` and prints the distinct H.264 and AAC payloads and the PSNR of each H.264
variant's decoded frames against the most common one (and, for scale, another clip's).

``python -m research.dataset.x264_repeat N`` — run it while other processes keep the cores busy
(e.g. three ``python3 -c "while True: pass"``): variants are rare (a few in thousands of encodes),
and on an idle machine none may appear.
"""

from __future__ import annotations

import collections
import hashlib
import os
import sys
import tempfile
from fractions import Fraction

import numpy as np

__all__ = ["repeat_encodes"]


def _payloads(path) -> tuple[str, str]:
    """Short digests of the video and audio packets of an mp4."""
    import av

    out = {"video": hashlib.md5(), "audio": hashlib.md5()}
    with av.open(path) as c:
        for p in c.demux():
            if p.size:
                out[p.stream.type].update(bytes(p))
    return out["video"].hexdigest()[:8], out["audio"].hexdigest()[:8]


def _frames(path) -> np.ndarray:
    import av

    with av.open(path) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(np.float64)


def _psnr(a, b) -> float:
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def repeat_encodes(n: int, workdir: str) -> dict:
    """Encode one 1.5 s, 32 px horse clip ``n`` times into ``workdir``: ``{"video": {digest: count},
    "audio": {digest: count}, "psnr": {video digest: dB vs the most common}, "other_clip_psnr"}``."""
    from foleygan_tf.data.synth import ClipSpec, render_clip, write_mp4

    spec = ClipSpec("unused", "horse", 0, 11, 1.5, Fraction(24), 32)
    clip = render_clip(spec)
    frames, wave = clip.frames, clip.wave
    video, audio, first = collections.Counter(), collections.Counter(), {}
    for i in range(int(n)):
        path = os.path.join(workdir, f"{i}.mp4")
        write_mp4(path, frames, spec.fps, wave)
        v, a = _payloads(path)
        video[v] += 1
        audio[a] += 1
        first.setdefault(v, path)
    common = _frames(first[video.most_common(1)[0][0]])
    other = os.path.join(workdir, "other.mp4")
    second = render_clip(ClipSpec("unused", "horse", 1, 11, 1.5, Fraction(24), 32))
    write_mp4(other, second.frames, spec.fps, second.wave)
    return {"video": dict(video), "audio": dict(audio),
            "psnr": {v: _psnr(_frames(path), common) for v, path in first.items()},
            "other_clip_psnr": _psnr(_frames(other), common)}


def main(argv=None) -> int:
    """``python -m research.dataset.x264_repeat N``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit() or int(args[0]) < 1:
        print("usage: python -m research.dataset.x264_repeat N  (N ≥ 1 encodes)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        r = repeat_encodes(int(args[0]), tmp)
    print(f"{sum(r['video'].values())} encodes: H.264 payloads {r['video']}; AAC payloads {r['audio']}")
    for v, db in r["psnr"].items():
        print(f"  {v}: PSNR vs the most common {db:.1f} dB")
    print(f"  another horse clip: PSNR vs the most common {r['other_clip_psnr']:.1f} dB")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
