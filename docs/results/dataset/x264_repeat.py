"""usage: x264_repeat.py N — encode one synthetic clip's frames N times with synth.write_mp4 (same
process, same input) and count the distinct H.264 and AAC payloads. Run it while other processes
keep the cores busy (e.g. three `python3 -c "while True: pass"`); on an idle machine every encode
matched in our runs. Session 6, with 3 busy loops: 0 variants in 600 encodes, then 9 in 2000 (two
variants, 37.8 and 38.7 dB); the AAC payload never varied. Prints the PSNR of each variant's decoded
frames against the most common one, and (for scale) another clip's.
A session-6 spawn-pool probe (not kept) also saw variants in freshly spawned workers."""
import collections
import hashlib
import os
import sys
import tempfile
from fractions import Fraction

import av
import numpy as np

from foleygan_tf.data.synth import ClipSpec, render_clip, write_mp4


def payloads(path):
    out = {"video": hashlib.md5(), "audio": hashlib.md5()}
    with av.open(path) as c:
        for p in c.demux():
            if p.size:
                out[p.stream.type].update(bytes(p))
    return out["video"].hexdigest()[:8], out["audio"].hexdigest()[:8]


def frames_of(path):
    with av.open(path) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(np.float64)


spec = ClipSpec("unused", "horse", 0, 11, 1.5, Fraction(24), 32)
_, frames, wave, _ = render_clip(spec)
tmp = tempfile.mkdtemp()
video, audio, first = collections.Counter(), collections.Counter(), {}
for i in range(int(sys.argv[1])):
    path = os.path.join(tmp, f"{i}.mp4")
    write_mp4(path, frames, spec.fps, wave)
    v, a = payloads(path)
    video[v] += 1
    audio[a] += 1
    first.setdefault(v, path)
print(f"{sum(video.values())} encodes: H.264 payloads {dict(video)}; AAC payloads {dict(audio)}")
common = frames_of(first[video.most_common(1)[0][0]])
for v, path in first.items():
    mse = np.mean((frames_of(path) - common) ** 2)
    print(f"  {v}: PSNR vs the most common {'inf' if mse == 0 else f'{10 * np.log10(255 ** 2 / mse):.1f}'} dB")
other = os.path.join(tmp, "other.mp4")  # scale: another clip of the class, same settings
_, frames2, wave2, _ = render_clip(ClipSpec("unused", "horse", 1, 11, 1.5, Fraction(24), 32))
write_mp4(other, frames2, spec.fps, wave2)
mse = np.mean((frames_of(other) - common) ** 2)
print(f"  another horse clip: PSNR vs the most common {10 * np.log10(255 ** 2 / mse):.1f} dB")
