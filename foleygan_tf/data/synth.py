"""The synchronised synthetic Foley dataset (``foleygan synth-data``).

Each clip is a small procedurally drawn scene (OpenCV) of one of the 12 AFD classes with a sound
track that the scene drives: an impact (a chop, a step, a hoof beat, a key press, a clock tick,
a muzzle flash, a lightning strike, a plate hitting the floor) is heard from the very video frame
on which it is seen. Continuous classes (car, fire, rain, waterfall) have activity that lasts the
whole clip and no events. Timing is random per clip (tempo, phase, jitter, count) so that the
synchronisation cannot be learned as a constant offset.

Output, per clip (``DATA_DIR/<class>/<class>_<index>.mp4`` + ``.json``)::

    mp4   H.264 video (yuv420p, size×size, fps) + AAC mono audio at 44 100 Hz, equal durations
    json  {"class": str, "fps": float, "duration": float, "events": [seconds, …],
           "seed": int, "index": int, "size": int, "num_frames": int, "sample_rate": int,
           "sound_sources": ["synthetic"] or bank paths relative to the bank}

Event times are frame times ``k / fps`` (the frame on which the contact is drawn), and the sound of
the event starts on the audio sample ``round(k / fps * 44100)``.

Everything of a clip derives from ``numpy.random.SeedSequence([seed, class_index, clip_index])``,
so a clip does not depend on how many clips or which classes are generated with it, nor on the
worker that made it: the same seed gives bit-identical frames and wave, hence byte-identical
sidecars and AAC streams. (The H.264 bytes can differ: x264 occasionally encodes the same frames
differently under CPU contention, 9 in 2000 encodes measured; docs/dataset.md.)

Layout of this module: timing helpers → audio helpers → one ``Scene`` subclass per class (its
drawing and its synthetic sound) → the mp4 writer → ``generate_clip`` / ``synthesize_dataset``.
Real recordings (``--sound-bank``) come from :mod:`foleygan_tf.data.soundbank`, the domain
randomisation of the frames (``--randomize``) from :mod:`foleygan_tf.data.domain_randomization`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import typing
from fractions import Fraction

import cv2
import numpy as np
from scipy import signal as sps

from foleygan_tf.atomic import write_json
from foleygan_tf.config import AFD_CLASSES

SAMPLE_RATE = 44100          # audio rate of the written mp4 (the paper's rate), for every preset
IMPULSIVE = ("break", "chopping", "clock", "footstep", "gunshot", "horse", "thunder", "typing")
CONTINUOUS = ("car", "fire", "rain", "waterfall")
SIDECAR_VERSION = 1
DEFAULT_CRF = 20             # H.264 quality of a clip without domain randomisation


# ---------------------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------------------

def parse_fps(value) -> Fraction:
    """``24``, ``"29.97"``, ``"30000/1001"`` → an exact frame rate (29.97 → 30000/1001)."""
    text = str(value).strip()
    if "/" in text:
        num, den = text.split("/", 1)
        fps = Fraction(int(num), int(den))
    else:
        fps = Fraction(text).limit_denominator(1001)
        # The NTSC rates (23.976, 29.97, 59.94) are n*1000/1001 exactly.
        for base in (24, 30, 48, 60, 120):
            ntsc = Fraction(base * 1000, 1001)
            if abs(float(fps) - float(ntsc)) < 5e-3:
                fps = ntsc
    if fps <= 0 or fps > 240:
        raise ValueError(f"--fps must be in (0, 240], got {value!r}")
    return fps


def _snap(times, fps: Fraction, n_frames: int, first: int, last: int, min_gap: int) -> list[int]:
    """Seconds → sorted frame indices in [first, last], at least ``min_gap`` frames apart."""
    frames = []
    for t in sorted(times):
        k = int(round(t * float(fps)))
        if k < first or k > last:
            continue
        if frames and k - frames[-1] < min_gap:
            continue
        frames.append(k)
    return frames


def _frame_limits(fps: Fraction, n_frames: int, start_margin: float, end_margin: float):
    first = max(1, math.ceil(start_margin * float(fps)))
    last = n_frames - 1 - math.ceil(end_margin * float(fps))
    return first, max(first, last)


def periodic_events(rng, fps: Fraction, n_frames: int, interval, jitter=0.0, min_gap=0.15,
                    start_margin=0.12, end_margin=0.2, group=(0.0,)) -> list[int]:
    """A random tempo (``interval`` seconds, uniform in the range), random phase and per-event
    jitter (fraction of the interval). ``group`` offsets (seconds) repeat within each period,
    e.g. ``(0, 0.16)`` for the two beats of a trotting horse. Returns frame indices (≥ 1)."""
    duration = n_frames / float(fps)
    period = rng.uniform(*interval)
    offsets = [g for g in group]
    t = start_margin + rng.uniform(0.0, period)
    times = []
    while t < duration:
        for off in offsets:
            times.append(t + off + jitter * period * rng.uniform(-1.0, 1.0))
        t += period
    first, last = _frame_limits(fps, n_frames, start_margin, end_margin)
    gap = max(2, math.ceil(min_gap * float(fps)))
    frames = _snap(times, fps, n_frames, first, last, gap)
    if not frames:
        frames = [int(rng.integers(first, last + 1))]
    return frames


def sporadic_events(rng, fps: Fraction, n_frames: int, count, min_gap=0.4,
                    start_margin=0.15, end_margin=0.3) -> list[int]:
    """``count`` (a (lo, hi) range) events at random times, at least ``min_gap`` s apart."""
    first, last = _frame_limits(fps, n_frames, start_margin, end_margin)
    gap = max(2, math.ceil(min_gap * float(fps)))
    want = int(rng.integers(count[0], count[1] + 1))
    frames: list[int] = []
    for _ in range(200):
        if len(frames) >= want:
            break
        k = int(rng.integers(first, last + 1))
        if all(abs(k - f) >= gap for f in frames):
            frames.append(k)
    return sorted(frames) or [first]


# ---------------------------------------------------------------------------------------------
# audio helpers (all at SAMPLE_RATE, float64 internally)
# ---------------------------------------------------------------------------------------------

def _t(n: int) -> np.ndarray:
    return np.arange(n) / SAMPLE_RATE


def _decay(n: int, tau: float) -> np.ndarray:
    return np.exp(-_t(n) / tau)


def _attack(x: np.ndarray, seconds: float = 0.001) -> np.ndarray:
    n = min(len(x), max(1, int(seconds * SAMPLE_RATE)))
    x = x.copy()
    x[:n] *= np.linspace(0.0, 1.0, n, endpoint=False)
    return x


def _band(x: np.ndarray, lo: float | None, hi: float | None, order: int = 2) -> np.ndarray:
    nyq = SAMPLE_RATE / 2
    if lo and hi:
        sos = sps.butter(order, [lo, min(hi, 0.95 * nyq)], btype="band", fs=SAMPLE_RATE, output="sos")
    elif lo:
        sos = sps.butter(order, lo, btype="high", fs=SAMPLE_RATE, output="sos")
    elif hi:
        sos = sps.butter(order, min(hi, 0.95 * nyq), btype="low", fs=SAMPLE_RATE, output="sos")
    else:
        return x
    return sps.sosfilt(sos, x)


def _peak(x: np.ndarray, level: float = 1.0) -> np.ndarray:
    m = np.max(np.abs(x)) if len(x) else 0.0
    return x * (level / m) if m > 0 else x


def _fade_out(x: np.ndarray, seconds: float) -> np.ndarray:
    n = min(len(x), int(seconds * SAMPLE_RATE))
    if n > 0:
        x = x.copy()
        x[-n:] *= np.linspace(1.0, 0.0, n)
    return x


def place_hits(n_samples: int, event_frames, fps: Fraction, make_hit) -> np.ndarray:
    """Sum of one-shot sounds, each starting on the sample of its event frame and cut (with a
    short fade) just before the next event so every onset stays clean.

    ``make_hit(i, max_len) → np.ndarray`` returns the i-th hit with its onset at sample 0."""
    out = np.zeros(n_samples)
    starts = [int(round(k / fps * SAMPLE_RATE)) for k in event_frames]
    for i, s in enumerate(starts):
        room = (starts[i + 1] if i + 1 < len(starts) else n_samples) - s
        if i + 1 < len(starts):
            room -= int(0.01 * SAMPLE_RATE)
        hit = np.asarray(make_hit(i, room), dtype=np.float64)[: max(room, 0)]
        if len(hit) == 0:
            continue
        if len(hit) >= room and i + 1 < len(starts):
            hit = _fade_out(hit, 0.015)
        out[s: s + len(hit)] += hit
    return out


# ---------------------------------------------------------------------------------------------
# drawing helpers
# ---------------------------------------------------------------------------------------------

def _jitter_color(rng, rgb, amount=25):
    return tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in rgb)


def _vertical_gradient(size, top, bottom) -> np.ndarray:
    a = np.linspace(0.0, 1.0, size)[:, None, None]
    img = (1 - a) * np.array(top, float) + a * np.array(bottom, float)
    return np.repeat(img, size, axis=1).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# scenes
# ---------------------------------------------------------------------------------------------

class Scene:
    """A clip of one class: random parameters drawn in ``__init__`` from ``rng``; ``events``
    (frame indices, empty for continuous scenes); ``render(k)`` → RGB uint8 [size, size, 3];
    ``synth_hit(i)`` (impulsive) or ``synth_bed(n)`` (continuous) for the synthetic sound."""

    name = ""
    continuous = False

    def __init__(self, rng: np.random.Generator, size: int, fps: Fraction, n_frames: int):
        self.rng, self.size, self.fps, self.n_frames = rng, size, fps, n_frames
        self.events: list[int] = [] if self.continuous else self.make_events()
        self._times = np.array(self.events, float) / float(fps)

    # -- geometry ---------------------------------------------------------------------------
    def px(self, u: float) -> int:
        return int(round(u * (self.size - 1)))

    def pt(self, x: float, y: float) -> tuple[int, int]:
        return self.px(x), self.px(y)

    def lw(self, u: float) -> int:
        return max(1, int(round(u * self.size)))

    # -- timing -----------------------------------------------------------------------------
    def make_events(self) -> list[int]:  # pragma: no cover - every impulsive scene overrides it
        raise NotImplementedError

    def since_until(self, k: int, frames=None) -> tuple[float, float]:
        """Seconds since the last event at or before frame k, and until the next at or after k."""
        times = self._times if frames is None else np.array(frames, float) / float(self.fps)
        t = k / float(self.fps)
        past = times[times <= t + 1e-9]
        future = times[times >= t - 1e-9]
        return (t - past[-1] if len(past) else math.inf,
                future[0] - t if len(future) else math.inf)

    def lift(self, k: int, rise: float, fall: float, frames=None) -> float:
        """0 on an event frame, rising to 1 after it and falling back to 0 before the next."""
        since, until = self.since_until(k, frames)
        return float(min(1.0, since / rise, until / fall))

    # -- sound ------------------------------------------------------------------------------
    def synth_hit(self, i: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def synth_bed(self, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def render(self, k: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class BreakScene(Scene):
    """Plates/glasses fall onto the floor and shatter: the event is the frame of contact."""

    name = "break"

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        self.wall = _jitter_color(rng, (225, 205, 170))
        self.floor_col = _jitter_color(rng, (120, 80, 50))
        self.floor_y = rng.uniform(0.72, 0.8)
        self.glass = _jitter_color(rng, (170, 225, 240), 20)
        self.fall = rng.uniform(0.25, 0.4)
        self.objects = []
        for _ in self.events:
            n = int(rng.integers(6, 11))
            ang = rng.uniform(-math.pi, 0.0, n)
            speed = rng.uniform(0.4, 1.2, n)
            self.objects.append(dict(x=rng.uniform(0.25, 0.75), w=rng.uniform(0.08, 0.14),
                                     vx=speed * np.cos(ang), vy=speed * np.sin(ang),
                                     r=rng.uniform(0.015, 0.03, n)))
        self.tone = rng.uniform(0.8, 1.25)
        self.bg = _vertical_gradient(size, self.wall, tuple(int(c * 0.85) for c in self.wall))
        cv2.rectangle(self.bg, self.pt(0, self.floor_y), self.pt(1, 1), self.floor_col, -1)

    def make_events(self):
        return sporadic_events(self.rng, self.fps, self.n_frames, (1, 3), min_gap=0.6, start_margin=0.35)

    def render(self, k):
        img = self.bg.copy()
        t_now = k / float(self.fps)
        for te, ob in zip(self._times, self.objects):
            t = t_now - te
            w, h = ob["w"], ob["w"] * 1.3
            if -self.fall <= t < 0:          # falling (accelerating) towards the floor
                frac = (t + self.fall) / self.fall
                y_bottom = -0.05 + (self.floor_y + 0.05) * frac ** 2
                top, bot = y_bottom - h, y_bottom
                pts = np.array([self.pt(ob["x"] - w / 2, top), self.pt(ob["x"] + w / 2, top),
                                self.pt(ob["x"] + w / 3, bot), self.pt(ob["x"] - w / 3, bot)], np.int32)
                cv2.fillConvexPoly(img, pts, self.glass, cv2.LINE_AA)
                cv2.polylines(img, [pts], True, (255, 255, 255), 1, cv2.LINE_AA)
            elif t >= 0:                     # shattered: shards fly out, then lie on the floor
                tt = min(t, 0.45)
                xs = ob["x"] + ob["vx"] * tt * 0.6
                ys = np.minimum(self.floor_y - 0.01, self.floor_y - 0.02 + ob["vy"] * tt + 2.5 * tt ** 2)
                for x, y, r in zip(xs, ys, ob["r"]):
                    tri = np.array([self.pt(x - r, y + r), self.pt(x + r, y + r * 0.5), self.pt(x, y - r)], np.int32)
                    cv2.fillConvexPoly(img, tri, self.glass, cv2.LINE_AA)
                if t < 0.08:                 # impact star on the contact frame(s)
                    c = self.pt(ob["x"], self.floor_y)
                    for a in np.linspace(0, math.pi, 7):
                        e = self.pt(ob["x"] + 0.12 * math.cos(a), self.floor_y - 0.12 * math.sin(a))
                        cv2.line(img, c, e, (255, 255, 255), self.lw(0.015), cv2.LINE_AA)
        return img

    def synth_hit(self, i):
        rng, n = self.rng, int(0.6 * SAMPLE_RATE)
        x = _band(rng.standard_normal(n), 2500, 12000) * _decay(n, 0.05) * 0.8
        for _ in range(14):                  # inharmonic glass partials
            f = rng.uniform(2000, 9000) * self.tone
            x += rng.uniform(0.1, 0.35) * np.sin(2 * np.pi * f * _t(n) + rng.uniform(0, 6.28)) \
                * _decay(n, rng.uniform(0.03, 0.18))
        for _ in range(4):                   # tinkling fragments right after the impact
            d = int(rng.uniform(0.006, 0.03) * SAMPLE_RATE)
            m = n - d
            x[d:] += 0.25 * _band(rng.standard_normal(m), 4000, 12000) * _decay(m, 0.01)
        return _attack(_peak(x))


class CarScene(Scene):
    """A car driving along a road (camera tracking); engine sound follows the speed."""

    name = "car"
    continuous = True

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        self.body = _jitter_color(rng, [(200, 30, 30), (30, 60, 200), (230, 200, 20), (240, 240, 240)][int(rng.integers(4))], 30)
        self.v0 = rng.uniform(0.6, 1.2)
        self.mod_f, self.mod_ph = rng.uniform(0.2, 0.6), rng.uniform(0, 2 * math.pi)
        self.f0 = rng.uniform(28, 55)
        self.trees = rng.uniform(0, 1, 4)
        self.bg = _vertical_gradient(size, _jitter_color(rng, (120, 170, 235)), (200, 225, 245))
        cv2.rectangle(self.bg, self.pt(0, 0.45), self.pt(1, 1), _jitter_color(rng, (70, 150, 60)), -1)
        cv2.rectangle(self.bg, self.pt(0, 0.58), self.pt(1, 0.9), (90, 90, 95), -1)

    def speed(self, t):
        return self.v0 * (1 + 0.35 * np.sin(2 * np.pi * self.mod_f * t + self.mod_ph))

    def distance(self, t):
        w = 2 * np.pi * self.mod_f
        return self.v0 * (t - 0.35 / w * (np.cos(w * t + self.mod_ph) - np.cos(self.mod_ph)))

    def render(self, k):
        img = self.bg.copy()
        t = k / float(self.fps)
        d = self.distance(t)
        for x0 in self.trees:                # trees scroll past (parallax)
            x = (x0 - 0.5 * d) % 1.3 - 0.15
            cv2.rectangle(img, self.pt(x - 0.01, 0.3), self.pt(x + 0.01, 0.46), (90, 60, 30), -1)
            cv2.circle(img, self.pt(x, 0.28), self.lw(0.07), (30, 110, 40), -1, cv2.LINE_AA)
        for i in range(6):                   # lane dashes
            x = (i / 5 - d) % 1.2 - 0.1
            cv2.rectangle(img, self.pt(x, 0.735), self.pt(x + 0.09, 0.755), (240, 240, 240), -1)
        bob = 0.005 * math.sin(2 * math.pi * 7 * t)
        cv2.rectangle(img, self.pt(0.22, 0.6 + bob), self.pt(0.78, 0.73 + bob), self.body, -1, cv2.LINE_AA)
        cab = np.array([self.pt(0.33, 0.6 + bob), self.pt(0.4, 0.5 + bob), self.pt(0.6, 0.5 + bob),
                        self.pt(0.68, 0.6 + bob)], np.int32)
        cv2.fillConvexPoly(img, cab, tuple(int(c * 0.8) for c in self.body), cv2.LINE_AA)
        for wx in (0.33, 0.67):              # wheels with rotating spokes
            c = self.pt(wx, 0.74)
            cv2.circle(img, c, self.lw(0.07), (20, 20, 20), -1, cv2.LINE_AA)
            a = -d * 40.0
            for s in range(3):
                aa = a + s * 2 * math.pi / 3
                e = self.pt(wx + 0.05 * math.cos(aa), 0.74 + 0.05 * math.sin(aa))
                cv2.line(img, c, e, (180, 180, 180), self.lw(0.012), cv2.LINE_AA)
        return img

    def synth_bed(self, n):
        rng, t = self.rng, _t(n)
        f = self.f0 * (0.6 + 0.4 * self.speed(t) / self.v0)
        phase = 2 * np.pi * np.cumsum(f) / SAMPLE_RATE
        x = sum((0.7 / h) * np.sin(h * phase + rng.uniform(0, 6.28)) for h in range(1, 14))
        x = _band(x, None, 1800)
        x += 0.25 * _band(rng.standard_normal(n), 80, 900)            # road / tyre noise
        x *= 1 + 0.15 * np.sin(2 * np.pi * 4 * t)
        return _peak(x)


class ClockScene(Scene):
    """A wall clock whose second hand jumps on every tick."""

    name = "clock"

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        self.a0 = rng.uniform(0, 2 * math.pi)
        self.hour, self.minute = rng.uniform(0, 2 * math.pi, 2)
        self.step = math.radians(rng.choice([6.0, 12.0, 30.0]))
        self.pitch = rng.uniform(0.7, 1.4)
        self.bg = np.full((size, size, 3), _jitter_color(rng, (150, 190, 170), 35), np.uint8)
        c, r = self.pt(0.5, 0.5), self.lw(0.4)
        cv2.circle(self.bg, c, r + self.lw(0.03), _jitter_color(rng, (90, 60, 40)), -1, cv2.LINE_AA)
        cv2.circle(self.bg, c, r, (250, 250, 245), -1, cv2.LINE_AA)
        for h in range(12):
            a = h * math.pi / 6
            cv2.line(self.bg, self.pt(0.5 + 0.34 * math.sin(a), 0.5 - 0.34 * math.cos(a)),
                     self.pt(0.5 + 0.39 * math.sin(a), 0.5 - 0.39 * math.cos(a)), (30, 30, 30),
                     self.lw(0.02), cv2.LINE_AA)
        for a, ln, w in ((self.hour, 0.2, 0.035), (self.minute, 0.3, 0.025)):
            cv2.line(self.bg, c, self.pt(0.5 + ln * math.sin(a), 0.5 - ln * math.cos(a)), (20, 20, 20),
                     self.lw(w), cv2.LINE_AA)

    def make_events(self):
        return periodic_events(self.rng, self.fps, self.n_frames, (0.35, 1.0), jitter=0.0, min_gap=0.3)

    def render(self, k):
        img = self.bg.copy()
        ticks = sum(1 for e in self.events if e <= k)
        a = self.a0 + ticks * self.step
        c = self.pt(0.5, 0.5)
        since, _ = self.since_until(k)
        col = (230, 30, 30) if since < 0.05 else (200, 20, 20)
        cv2.line(img, c, self.pt(0.5 + 0.37 * math.sin(a), 0.5 - 0.37 * math.cos(a)), col,
                 self.lw(0.015), cv2.LINE_AA)
        cv2.circle(img, c, self.lw(0.025), (200, 20, 20), -1, cv2.LINE_AA)
        return img

    def synth_hit(self, i):
        rng, n = self.rng, int(0.12 * SAMPLE_RATE)
        f = (2600 if i % 2 == 0 else 2200) * self.pitch
        x = np.sin(2 * np.pi * f * _t(n)) * _decay(n, 0.012)
        x += 0.6 * np.sin(2 * np.pi * f * 2.7 * _t(n)) * _decay(n, 0.006)
        x += 0.5 * _band(rng.standard_normal(n), 3000, 10000) * _decay(n, 0.003)
        return _attack(_peak(x), 0.0005)


class ChoppingScene(Scene):
    """A knife chops a vegetable on a board; each stroke's contact with the board is an event."""

    name = "chopping"

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        self.food = [(240, 130, 30), (60, 160, 60), (230, 220, 200)][int(rng.integers(3))]
        self.board_y = rng.uniform(0.68, 0.75)
        self.slice_w = rng.uniform(0.04, 0.07)
        self.x0 = rng.uniform(0.6, 0.75)
        self.pitch = rng.uniform(0.8, 1.25)
        self.bg = _vertical_gradient(size, _jitter_color(rng, (235, 235, 225), 15), (200, 200, 190))
        cv2.rectangle(self.bg, self.pt(0.05, self.board_y), self.pt(0.95, self.board_y + 0.08),
                      _jitter_color(rng, (170, 120, 70)), -1)

    def make_events(self):
        return periodic_events(self.rng, self.fps, self.n_frames, (0.3, 0.8), jitter=0.12, min_gap=0.2)

    def render(self, k):
        img = self.bg.copy()
        n_cut = sum(1 for e in self.events if e <= k)
        knife_x = self.x0 - self.slice_w * n_cut
        top = self.board_y - 0.09
        cv2.rectangle(img, self.pt(0.12, top), self.pt(knife_x, self.board_y), self.food, -1, cv2.LINE_AA)
        for j in range(n_cut):               # cut slices to the right of the knife
            x = self.x0 - self.slice_w * j + 0.012 * (j + 1)
            cv2.rectangle(img, self.pt(x, top + 0.01), self.pt(x + self.slice_w * 0.8, self.board_y),
                          tuple(int(c * 0.9) for c in self.food), -1)
        h = self.lift(k, rise=0.12, fall=0.1) * 0.35
        blade_bottom = self.board_y - h
        blade = np.array([self.pt(knife_x - 0.01, blade_bottom), self.pt(knife_x - 0.01, blade_bottom - 0.2),
                          self.pt(knife_x + 0.05, blade_bottom - 0.2), self.pt(knife_x + 0.05, blade_bottom - 0.03)],
                         np.int32)
        cv2.fillConvexPoly(img, blade, (175, 180, 190), cv2.LINE_AA)
        cv2.rectangle(img, self.pt(knife_x - 0.005, blade_bottom - 0.34), self.pt(knife_x + 0.04, blade_bottom - 0.2),
                      (60, 35, 20), -1)
        return img

    def synth_hit(self, i):
        rng, n = self.rng, int(0.25 * SAMPLE_RATE)
        x = np.sin(2 * np.pi * 150 * self.pitch * _t(n)) * _decay(n, 0.05)
        x += 0.8 * _band(rng.standard_normal(n), 800, 4500) * _decay(n, 0.02)
        x += 0.5 * _band(rng.standard_normal(n), 4000, 12000) * _decay(n, 0.004)
        return _attack(_peak(x))


class FireScene(Scene):
    """Flickering flames over logs; a crackling, rumbling bed."""

    name = "fire"
    continuous = True

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        m = int(rng.integers(5, 9))
        self.fx = np.sort(rng.uniform(0.25, 0.75, m))
        self.freq = rng.uniform(2, 8, (m, 3))
        self.ph = rng.uniform(0, 2 * math.pi, (m, 3))
        self.h0 = rng.uniform(0.25, 0.45, m)
        self.sparks = rng.uniform(0, 1, (12, 3))
        self.crackle_rate = rng.uniform(8, 30)
        self.bg = _vertical_gradient(size, (10, 8, 20), _jitter_color(rng, (50, 25, 15), 10))
        for a, b in ((0.25, 0.75), (0.3, 0.7)):
            cv2.line(self.bg, self.pt(a, 0.86), self.pt(b, 0.8), (90, 50, 25), self.lw(0.06), cv2.LINE_AA)

    def render(self, k):
        img = self.bg.copy()
        t = k / float(self.fps)
        glow = 0.5 + 0.15 * math.sin(2 * math.pi * 3.3 * t)
        cv2.circle(img, self.pt(0.5, 0.75), self.lw(0.35), (int(120 * glow), int(45 * glow), 10), -1, cv2.LINE_AA)
        for layer, (col, s) in enumerate((((220, 40, 10), 1.0), ((250, 140, 20), 0.7), ((255, 230, 120), 0.4))):
            for j, x in enumerate(self.fx):
                flick = 1 + 0.25 * np.sum(np.sin(2 * math.pi * self.freq[j] * t + self.ph[j]))
                h = self.h0[j] * s * max(0.3, flick)
                cv2.ellipse(img, self.pt(x, 0.8 - h / 2), (self.lw(0.06 * s), self.lw(h / 2)), 0, 0, 360,
                            col, -1, cv2.LINE_AA)
        for x0, v, p in self.sparks:
            y = 0.75 - ((t * (0.3 + 0.4 * v) + p) % 1.0) * 0.7
            cv2.circle(img, self.pt(0.3 + 0.4 * x0 + 0.03 * math.sin(7 * t + p * 6), y), max(1, self.lw(0.008)),
                       (255, 200, 80), -1)
        return img

    def synth_bed(self, n):
        rng = self.rng
        x = 0.6 * _band(rng.standard_normal(n), 40, 400) * (1 + 0.3 * np.sin(2 * np.pi * 0.7 * _t(n)))
        x += 0.15 * _band(rng.standard_normal(n), 1500, 6000)
        count = rng.poisson(self.crackle_rate * n / SAMPLE_RATE)
        for s in rng.integers(0, n, count):  # crackles (not events: they are not seen)
            m = min(n - s, int(0.02 * SAMPLE_RATE))
            x[s: s + m] += rng.uniform(0.2, 1.0) * _band(rng.standard_normal(m), 2000, 9000) * _decay(m, 0.002)
        return _peak(x)


class FootstepScene(Scene):
    """A walker seen from the side: each heel strike on the floor is an event."""

    name = "footstep"

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        n = len(self.events)
        self.stride = min(0.18, 0.6 / max(1, n))
        self.x_start = rng.uniform(0.15, 0.25)
        self.floor_y = rng.uniform(0.78, 0.85)
        self.shoe = _jitter_color(rng, (40, 30, 25), 20)
        self.leg = _jitter_color(rng, (40, 60, 140), 30)
        self.pitch = rng.uniform(0.8, 1.25)
        self.bg = _vertical_gradient(size, _jitter_color(rng, (200, 200, 215)), (170, 170, 185))
        cv2.rectangle(self.bg, self.pt(0, self.floor_y), self.pt(1, 1), _jitter_color(rng, (150, 110, 80)), -1)
        for i in range(9):
            cv2.line(self.bg, self.pt(i / 8, self.floor_y), self.pt(i / 8 - 0.1, 1), (120, 85, 60), 1)

    def make_events(self):
        return periodic_events(self.rng, self.fps, self.n_frames, (0.35, 0.7), jitter=0.08, min_gap=0.25)

    def foot(self, k, f):
        """(x, height) of foot ``f`` (0/1): planted at its own events, swinging in between."""
        own = self.events[f::2]
        t = k / float(self.fps)
        done = sum(1 for e in own if e <= k)
        plant = self.x_start + f * self.stride / 2 + self.stride * done
        if done < len(own):
            until = own[done] / float(self.fps) - t
            swing = 0.6 * (own[done] - (own[done - 1] if done else own[done] - 12)) / float(self.fps)
            swing = max(swing, 1.5 / float(self.fps))
            if until < swing:
                p = 1 - until / swing
                return plant + self.stride * p, 0.08 * math.sin(math.pi * p)
        return plant, 0.0

    def render(self, k):
        img = self.bg.copy()
        feet = [self.foot(k, f) for f in (0, 1)]
        hip = (sum(x for x, _ in feet) / 2, self.floor_y - 0.4)
        cv2.circle(img, self.pt(hip[0], hip[1] - 0.22), self.lw(0.06), (230, 190, 160), -1, cv2.LINE_AA)
        cv2.line(img, self.pt(*hip), self.pt(hip[0], hip[1] - 0.16), self.leg, self.lw(0.07), cv2.LINE_AA)
        since, _ = self.since_until(k)
        for f, (x, h) in enumerate(feet):
            y = self.floor_y - 0.02 - h
            cv2.line(img, self.pt(*hip), self.pt(x, y), self.leg, self.lw(0.045), cv2.LINE_AA)
            cv2.ellipse(img, self.pt(x + 0.02, y), (self.lw(0.045), self.lw(0.02)), 0, 0, 360, self.shoe, -1, cv2.LINE_AA)
        if since < 0.1:                      # dust at the heel strike
            last = max(e for e in self.events if e <= k)
            x, _ = self.foot(last, self.events.index(last) % 2)
            for dx in (-0.05, 0.07):
                cv2.circle(img, self.pt(x + dx, self.floor_y - 0.01), max(1, self.lw(0.015)), (210, 200, 180), -1)
        return img

    def synth_hit(self, i):
        rng, n = self.rng, int(0.3 * SAMPLE_RATE)
        x = _band(rng.standard_normal(n), 80 * self.pitch, 900 * self.pitch) * _decay(n, 0.04)
        x += 0.5 * np.sin(2 * np.pi * 90 * self.pitch * _t(n)) * _decay(n, 0.03)
        x += 0.35 * _band(rng.standard_normal(n), 2500, 8000) * _decay(n, 0.008)
        return _attack(_peak(x))


class GunshotScene(Scene):
    """A pistol fires at a target: the muzzle flash frame is the event."""

    name = "gunshot"

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        self.y = rng.uniform(0.4, 0.55)
        self.gun = _jitter_color(rng, (35, 35, 40), 10)
        self.holes = [(0.82 + rng.uniform(-0.05, 0.05), self.y + rng.uniform(-0.05, 0.05)) for _ in self.events]
        self.boom = rng.uniform(50, 90)
        self.bg = _vertical_gradient(size, _jitter_color(rng, (170, 190, 150)), (120, 130, 90))
        for r, c in ((0.13, (240, 240, 240)), (0.1, (200, 30, 30)), (0.065, (240, 240, 240)), (0.03, (200, 30, 30))):
            cv2.circle(self.bg, self.pt(0.82, self.y), self.lw(r), c, -1, cv2.LINE_AA)

    def make_events(self):
        return sporadic_events(self.rng, self.fps, self.n_frames, (1, 4), min_gap=0.4)

    def render(self, k):
        img = self.bg.copy()
        since, _ = self.since_until(k)
        recoil = 0.04 * math.exp(-since / 0.08) if since < 1 else 0.0
        x0 = 0.12 - recoil
        cv2.rectangle(img, self.pt(x0, self.y - 0.03), self.pt(x0 + 0.28, self.y + 0.02), self.gun, -1)
        cv2.rectangle(img, self.pt(x0, self.y), self.pt(x0 + 0.07, self.y + 0.17), self.gun, -1)
        muzzle = (x0 + 0.28, self.y - 0.005)
        fired = [e for e in self.events if e <= k]
        for (hx, hy) in self.holes[: len(fired)]:
            cv2.circle(img, self.pt(hx, hy), max(1, self.lw(0.012)), (20, 20, 20), -1)
        if since < 0.4:                      # smoke
            r = 0.03 + 0.15 * since
            g = int(200 - 100 * since)
            cv2.circle(img, self.pt(muzzle[0] + 0.05 + 0.2 * since, muzzle[1] - 0.1 * since), self.lw(r), (g, g, g), -1,
                       cv2.LINE_AA)
        if since < 1.5 / float(self.fps):    # muzzle flash: the event frame and the next one
            s = 1.0 if since < 0.5 / float(self.fps) else 0.5
            star = []
            for j in range(10):
                rr = (0.13 if j % 2 == 0 else 0.05) * s
                a = j * math.pi / 5
                star.append(self.pt(muzzle[0] + 0.06 * s + rr * math.cos(a), muzzle[1] + rr * math.sin(a)))
            cv2.fillPoly(img, [np.array(star, np.int32)], (255, 240, 120), cv2.LINE_AA)
            cv2.circle(img, self.pt(muzzle[0] + 0.06 * s, muzzle[1]), self.lw(0.04 * s), (255, 255, 255), -1)
        return img

    def synth_hit(self, i):
        rng, n = self.rng, int(0.8 * SAMPLE_RATE)
        x = rng.standard_normal(n) * (0.7 * _decay(n, 0.015) + 0.3 * _decay(n, 0.15))
        x = _band(x, 100, 9000)
        x += 0.9 * np.sin(2 * np.pi * self.boom * _t(n)) * _decay(n, 0.12)
        return _attack(_peak(x), 0.0003)


class HorseScene(Scene):
    """A trotting horse passes a fence; each hoof pair touching the ground is an event."""

    name = "horse"

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        self.coat = _jitter_color(rng, [(120, 70, 30), (60, 40, 30), (200, 190, 180)][int(rng.integers(3))], 15)
        self.ground = rng.uniform(0.8, 0.86)
        self.v = rng.uniform(0.3, 0.6)
        self.pitch = rng.uniform(0.8, 1.25)
        self.bg = _vertical_gradient(size, _jitter_color(rng, (150, 200, 240)), (220, 235, 240))
        cv2.rectangle(self.bg, self.pt(0, 0.6), self.pt(1, 1), _jitter_color(rng, (110, 170, 70)), -1)

    def make_events(self):
        gap = self.rng.uniform(0.15, 0.22)
        return periodic_events(self.rng, self.fps, self.n_frames, (0.45, 0.75), jitter=0.03, min_gap=0.13,
                               group=(0.0, gap))

    def render(self, k):
        img = self.bg.copy()
        t = k / float(self.fps)
        for i in range(7):                   # fence scrolling by
            x = (i / 6 - self.v * t) % 1.15 - 0.07
            cv2.line(img, self.pt(x, 0.5), self.pt(x, 0.66), (150, 110, 70), self.lw(0.02))
        cv2.line(img, self.pt(0, 0.55), self.pt(1, 0.55), (150, 110, 70), self.lw(0.012))
        front, hind = self.events[0::2], self.events[1::2]
        lifts = [self.lift(k, 0.12, 0.12, front), self.lift(k, 0.12, 0.12, hind)]
        body_y = self.ground - 0.3 - 0.02 * min(lifts)
        cv2.ellipse(img, self.pt(0.5, body_y), (self.lw(0.2), self.lw(0.08)), 0, 0, 360, self.coat, -1, cv2.LINE_AA)
        neck = np.array([self.pt(0.62, body_y - 0.02), self.pt(0.72, body_y - 0.17), self.pt(0.8, body_y - 0.13),
                         self.pt(0.68, body_y + 0.03)], np.int32)
        cv2.fillConvexPoly(img, neck, self.coat, cv2.LINE_AA)
        cv2.line(img, self.pt(0.3, body_y - 0.02), self.pt(0.24, body_y + 0.12), (40, 30, 20), self.lw(0.02), cv2.LINE_AA)
        since, _ = self.since_until(k)
        for (hx, lift) in ((0.62, lifts[0]), (0.38, lifts[1])):
            for dx in (-0.03, 0.03):
                h = 0.07 * lift
                foot = self.pt(hx + dx + 0.06 * lift, self.ground - h)
                cv2.line(img, self.pt(hx + dx, body_y + 0.04), foot, self.coat, self.lw(0.03), cv2.LINE_AA)
                cv2.circle(img, foot, max(1, self.lw(0.015)), (25, 20, 15), -1)
            if lift == 0.0 or (since < 0.06 and lift < 0.5):
                cv2.circle(img, self.pt(hx, self.ground), self.lw(0.03), (200, 180, 140), -1, cv2.LINE_AA)
        return img

    def synth_hit(self, i):
        rng, n = self.rng, int(0.15 * SAMPLE_RATE)
        f = (520 if i % 2 == 0 else 430) * self.pitch
        x = np.sin(2 * np.pi * f * _t(n)) * _decay(n, 0.025)
        x += 0.8 * _band(rng.standard_normal(n), 600, 3000) * _decay(n, 0.008)
        x += 0.4 * np.sin(2 * np.pi * 120 * _t(n)) * _decay(n, 0.03)
        return _attack(_peak(x))


class RainScene(Scene):
    """Rain streaks falling on a puddle; a steady hiss with dense droplets."""

    name = "rain"
    continuous = True

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        m = int(rng.integers(40, 80))
        self.drops = rng.uniform(0, 1, (m, 3))
        self.v = rng.uniform(1.5, 2.5)
        self.slant = rng.uniform(-0.08, 0.08)
        self.ripples = rng.uniform(0, 1, (8, 3))
        self.intensity = rng.uniform(0.5, 1.0)
        self.bg = _vertical_gradient(size, _jitter_color(rng, (70, 75, 85), 15), (110, 115, 125))
        cv2.rectangle(self.bg, self.pt(0, 0.8), self.pt(1, 1), (55, 65, 80), -1)

    def render(self, k):
        img = self.bg.copy()
        t = k / float(self.fps)
        for x0, y0, v in self.drops:
            y = (y0 + self.v * (0.8 + 0.4 * v) * t) % 1.0 * 0.85
            x = x0 + self.slant * y
            cv2.line(img, self.pt(x, y), self.pt(x + self.slant * 0.07, y + 0.07), (180, 200, 230), 1, cv2.LINE_AA)
        for x0, y0, p in self.ripples:
            ph = (t * 2 + p) % 1.0
            cv2.ellipse(img, self.pt(x0, 0.84 + 0.14 * y0), (self.lw(0.08 * ph) + 1, self.lw(0.02 * ph) + 1), 0, 0, 360,
                        (150, 170, 200), 1, cv2.LINE_AA)
        return img

    def synth_bed(self, n):
        rng = self.rng
        x = _band(rng.standard_normal(n), 800, 9000) * (0.8 + 0.2 * np.sin(2 * np.pi * 0.3 * _t(n)))
        x *= self.intensity
        count = rng.poisson(250 * n / SAMPLE_RATE)
        for s in rng.integers(0, n, count):  # droplets
            m = min(n - s, int(0.01 * SAMPLE_RATE))
            f = rng.uniform(2000, 6000)
            x[s: s + m] += rng.uniform(0.1, 0.6) * np.sin(2 * np.pi * f * _t(m)) * _decay(m, 0.002)
        return _peak(x)


class ThunderScene(Scene):
    """A night sky with lightning: the flash frame is the event; thunder crack + rumble."""

    name = "thunder"

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        self.sky = _jitter_color(rng, (20, 25, 60), 10)
        self.bolts = []
        for _ in self.events:
            x = rng.uniform(0.2, 0.8)
            pts = [(x, 0.2)]
            for y in np.linspace(0.28, 0.78, 6):
                x = float(np.clip(x + rng.uniform(-0.08, 0.08), 0.05, 0.95))
                pts.append((x, y))
            self.bolts.append(pts)
        self.rumble = rng.uniform(0.6, 1.4)
        hills = [self.pt(0, 1), self.pt(0, 0.8)] + [self.pt(x, 0.78 + 0.05 * math.sin(7 * x + rng.uniform(0, 6)))
                                                     for x in np.linspace(0, 1, 8)] + [self.pt(1, 1)]
        self.hills = np.array(hills, np.int32)
        self.clouds = rng.uniform(0, 1, (5, 2))

    def make_events(self):
        return sporadic_events(self.rng, self.fps, self.n_frames, (1, 2), min_gap=1.0)

    def render(self, k):
        since, _ = self.since_until(k)
        flash = math.exp(-since / 0.07) if since < 1 else 0.0
        sky = tuple(int(c + (230 - c) * flash) for c in self.sky)
        img = np.full((self.size, self.size, 3), sky, np.uint8)
        for cx, cy in self.clouds:
            g = int(60 + 150 * flash)
            cv2.ellipse(img, self.pt(cx, 0.1 + 0.12 * cy), (self.lw(0.2), self.lw(0.07)), 0, 0, 360, (g, g, g + 10), -1,
                        cv2.LINE_AA)
        cv2.fillPoly(img, [self.hills], (10, 12, 10))
        if since < 0.1:
            j = max(i for i, e in enumerate(self.events) if e <= k)
            pts = np.array([self.pt(x, y) for x, y in self.bolts[j]], np.int32)
            cv2.polylines(img, [pts], False, (255, 255, 255), self.lw(0.02), cv2.LINE_AA)
        return img

    def synth_hit(self, i):
        rng, n = self.rng, int(2.5 * SAMPLE_RATE)
        crack = _band(rng.standard_normal(n), 300, 8000) * _decay(n, 0.03)
        rumble = _band(rng.standard_normal(n), 25, 250 * self.rumble, order=4)
        rumble *= (1 - _decay(n, 0.05)) * _decay(n, 0.9) * (1 + 0.5 * np.sin(2 * np.pi * 1.7 * _t(n)))
        x = 0.9 * _peak(crack) + _peak(rumble)
        return _attack(_peak(x), 0.0005)


class TypingScene(Scene):
    """A keyboard seen from above: a fingertip presses one key per event."""

    name = "typing"

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        self.keys = [(int(rng.integers(0, 4)), int(rng.integers(0, 10))) for _ in self.events]
        self.accent = _jitter_color(rng, (60, 200, 250), 30)
        self.pitch = rng.uniform(0.8, 1.3)
        self.bg = np.full((size, size, 3), _jitter_color(rng, (150, 120, 90), 25), np.uint8)
        cv2.rectangle(self.bg, self.pt(0.05, 0.35), self.pt(0.95, 0.85), (45, 45, 50), -1)
        for r in range(4):
            for c in range(10):
                x0, y0 = self.key_box(r, c)
                cv2.rectangle(self.bg, self.pt(x0, y0), self.pt(x0 + 0.07, y0 + 0.09), (200, 200, 205), -1)

    @staticmethod
    def key_box(r, c):
        return 0.08 + c * 0.085 + 0.02 * r, 0.38 + r * 0.115

    def make_events(self):
        return periodic_events(self.rng, self.fps, self.n_frames, (0.16, 0.35), jitter=0.3, min_gap=0.15)

    def render(self, k):
        img = self.bg.copy()
        since, until = self.since_until(k)
        past = [i for i, e in enumerate(self.events) if e <= k]
        if past and since < 0.08:            # the pressed key
            r, c = self.keys[past[-1]]
            x0, y0 = self.key_box(r, c)
            cv2.rectangle(img, self.pt(x0 + 0.005, y0 + 0.01), self.pt(x0 + 0.065, y0 + 0.09), self.accent, -1)
        nxt = len(past) if not (past and since == 0.0) else past[-1]
        if nxt < len(self.events):           # fingertip descending onto the next key
            r, c = self.keys[nxt]
            x0, y0 = self.key_box(r, c)
            h = min(1.0, until / 0.1)
            cx, cy = x0 + 0.035, y0 + 0.045
            cv2.circle(img, self.pt(cx + 0.04 * h, cy + 0.04 * h), self.lw(0.035), (20, 20, 20), -1, cv2.LINE_AA)
            cv2.circle(img, self.pt(cx, cy - 0.05 * h), self.lw(0.035 + 0.02 * h), (235, 190, 160), -1, cv2.LINE_AA)
        return img

    def synth_hit(self, i):
        rng, n = self.rng, int(0.08 * SAMPLE_RATE)
        x = _band(rng.standard_normal(n), 2500 * self.pitch, 9000) * _decay(n, 0.004)
        x += 0.5 * np.sin(2 * np.pi * rng.uniform(900, 1400) * self.pitch * _t(n)) * _decay(n, 0.01)
        d = int(0.008 * SAMPLE_RATE)          # bottom-out, merged with the press
        x[d:] += 0.3 * _band(rng.standard_normal(n - d), 1500, 6000) * _decay(n - d, 0.004)
        return _attack(_peak(x), 0.0005)


class WaterfallScene(Scene):
    """Water pouring down a cliff into a pool; a steady roar."""

    name = "waterfall"
    continuous = True

    def __init__(self, rng, size, fps, n_frames):
        super().__init__(rng, size, fps, n_frames)
        self.w = rng.uniform(0.2, 0.35)
        self.streaks = rng.uniform(0, 1, (30, 3))
        self.v = rng.uniform(0.8, 1.5)
        self.foam = rng.uniform(0, 1, (10, 2))
        self.tilt = rng.uniform(0.5, 1.0)
        self.bg = _vertical_gradient(size, _jitter_color(rng, (110, 150, 110), 20), (60, 90, 60))
        rock = _jitter_color(rng, (100, 95, 90), 15)
        cv2.rectangle(self.bg, self.pt(0, 0.1), self.pt(0.5 - self.w / 2, 0.8), rock, -1)
        cv2.rectangle(self.bg, self.pt(0.5 + self.w / 2, 0.1), self.pt(1, 0.8), rock, -1)
        cv2.rectangle(self.bg, self.pt(0.5 - self.w / 2, 0.05), self.pt(0.5 + self.w / 2, 0.8), (70, 120, 190), -1)
        cv2.rectangle(self.bg, self.pt(0, 0.8), self.pt(1, 1), (40, 90, 150), -1)

    def render(self, k):
        img = self.bg.copy()
        t = k / float(self.fps)
        for x0, y0, v in self.streaks:
            y = 0.05 + ((y0 + self.v * (0.8 + 0.4 * v) * t) % 1.0) * 0.72
            x = 0.5 - self.w / 2 + x0 * self.w
            cv2.line(img, self.pt(x, y), self.pt(x, y + 0.08), (235, 245, 255), self.lw(0.012), cv2.LINE_AA)
        for fx, p in self.foam:
            r = 0.03 + 0.02 * math.sin(2 * math.pi * (3 * t + p))
            cv2.circle(img, self.pt(0.5 - self.w / 2 + fx * self.w, 0.82), self.lw(r), (240, 245, 250), -1, cv2.LINE_AA)
        return img

    def synth_bed(self, n):
        rng = self.rng
        x = _band(np.cumsum(rng.standard_normal(n)) * 0.02 + rng.standard_normal(n), 60, 2500 + 3000 * self.tilt)
        x *= 1 + 0.08 * np.sin(2 * np.pi * 0.4 * _t(n) + rng.uniform(0, 6))
        return _peak(x)


SCENES: dict[str, type[Scene]] = {cls.name: cls for cls in (
    BreakScene, CarScene, ClockScene, ChoppingScene, FireScene, FootstepScene, GunshotScene,
    HorseScene, RainScene, ThunderScene, TypingScene, WaterfallScene)}
assert tuple(sorted(SCENES)) == tuple(sorted(AFD_CLASSES))


# ---------------------------------------------------------------------------------------------
# the mp4 writer
# ---------------------------------------------------------------------------------------------

def write_mp4(path: str, frames: np.ndarray, fps: Fraction, wave: np.ndarray, sample_rate: int = SAMPLE_RATE,
              crf: int = DEFAULT_CRF) -> None:
    """Write RGB frames (uint8 [T, H, W, 3]) + mono ``wave`` as H.264/AAC mp4, atomically
    (``foleygan_tf.atomic``). x264 runs single-threaded; its bytes are reproducible
    except for rare rate-control variants under CPU contention (docs/dataset.md)."""
    import av

    from foleygan_tf.atomic import atomic_path

    frames = np.asarray(frames, np.uint8)
    with atomic_path(path) as tmp:
        with av.open(tmp, "w", format="mp4") as container:
            vs = container.add_stream("libx264", rate=fps)
            vs.pix_fmt = "yuv420p"
            vs.height, vs.width = frames.shape[1:3]
            vs.options = {"threads": "1", "preset": "veryfast", "crf": str(crf)}
            aus = container.add_stream("aac", rate=sample_rate)
            aus.layout = "mono"
            aus.bit_rate = 128000
            for img in frames:
                for packet in vs.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                    container.mux(packet)
            for packet in vs.encode():
                container.mux(packet)
            block = 1024
            pcm = np.asarray(wave, np.float32)
            for s in range(0, len(pcm), block):
                frame = av.AudioFrame.from_ndarray(pcm[None, s: s + block], format="flt", layout="mono")
                frame.sample_rate = sample_rate
                frame.time_base = Fraction(1, sample_rate)
                frame.pts = s
                for packet in aus.encode(frame):
                    container.mux(packet)
            for packet in aus.encode():
                container.mux(packet)


# ---------------------------------------------------------------------------------------------
# clips and datasets
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ClipSpec:
    """Everything needed to make one clip (picklable, for the worker pool)."""

    out_dir: str
    cls: str
    index: int
    seed: int
    seconds: float
    fps: Fraction
    size: int
    bank_cache: str | None = None
    randomize: bool = False     # domain randomisation of the frames (data/domain_randomization.py)

    @property
    def stem(self) -> str:
        return f"{self.cls}_{self.index:04d}"


def clip_rng(seed: int, cls: str, index: int, stream: int = 0) -> np.random.Generator:
    """The generator of a clip (``stream`` 0: scene and sound; 1: domain randomisation)."""
    key = [int(seed), AFD_CLASSES.index(cls), int(index)] + ([int(stream)] if stream else [])
    return np.random.default_rng(np.random.SeedSequence(key))


class RenderedClip(typing.NamedTuple):
    """One clip as :func:`render_clip` draws it, before it is written."""

    scene: "Scene"           # the scene (its ``events``: frame indices of the sounds)
    frames: np.ndarray       # uint8 [T, H, W, 3]
    wave: np.ndarray         # float32 [N] at 44.1 kHz
    sources: list            # the sound sources used (sound-bank files or "synthetic"), sorted
    crf: int                 # the H.264 quality the clip is written with


def render_clip(spec: ClipSpec, bank=None) -> RenderedClip:
    """The scene, frames, sound, sound sources and H.264 quality of the clip ``spec``.

    ``spec.randomize`` draws the domain randomisation from a generator of its own, so a clip's
    scene, events and sound are the same with and without it."""
    rng = clip_rng(spec.seed, spec.cls, spec.index)
    n_frames = max(2, int(round(spec.seconds * float(spec.fps))))
    n_samples = int(round(n_frames / spec.fps * SAMPLE_RATE))
    scene = SCENES[spec.cls](rng, spec.size, spec.fps, n_frames)
    frames = np.stack([scene.render(k) for k in range(n_frames)])
    sound_rng = np.random.default_rng(rng.integers(2 ** 63))
    sources: list[str] = []
    if bank is not None and bank.has(spec.cls):
        if scene.continuous:
            wave, src = bank.bed(spec.cls, n_samples, sound_rng)
            sources.extend(src)
        else:
            def make_hit(i, room):
                hit, src = bank.hit(spec.cls, sound_rng, max_len=room)
                sources.append(src)
                return hit
            wave = place_hits(n_samples, scene.events, spec.fps, make_hit)
    elif scene.continuous:
        wave = scene.synth_bed(n_samples)
        sources.append("synthetic")
    else:
        wave = place_hits(n_samples, scene.events, spec.fps, lambda i, room: scene.synth_hit(i))
        sources.append("synthetic")
    # A quiet room tone under everything (as in real recordings), then a random level.
    wave = wave + 10 ** (-55 / 20) * sound_rng.standard_normal(n_samples)
    wave = _peak(wave, sound_rng.uniform(0.5, 0.9)).astype(np.float32)
    crf = DEFAULT_CRF
    if spec.randomize:
        from foleygan_tf.data.domain_randomization import randomize_frames

        frames, crf = randomize_frames(frames, clip_rng(spec.seed, spec.cls, spec.index, stream=1))
    return RenderedClip(scene, frames, wave, sorted(set(sources)), crf)


def generate_clip(spec: ClipSpec) -> dict:
    """Write ``<out_dir>/<class>/<stem>.mp4`` and its sidecar; return the sidecar dict."""
    bank = _worker_bank(spec.bank_cache)
    scene, frames, wave, sources, crf = render_clip(spec, bank)
    folder = os.path.join(spec.out_dir, spec.cls)
    os.makedirs(folder, exist_ok=True)
    base = os.path.join(folder, spec.stem)
    write_mp4(base + ".mp4", frames, spec.fps, wave, crf=crf)
    sidecar = {
        "class": spec.cls,
        "fps": round(float(spec.fps), 6),
        "fps_exact": f"{spec.fps.numerator}/{spec.fps.denominator}",
        "duration": round(len(frames) / float(spec.fps), 6),
        "events": [round(k / float(spec.fps), 6) for k in scene.events],
        "event_frames": list(scene.events),
        "num_frames": len(frames),
        "size": spec.size,
        "sample_rate": SAMPLE_RATE,
        "seed": spec.seed,
        "index": spec.index,
        "sound_sources": sources,
        "randomized": spec.randomize,
        "version": SIDECAR_VERSION,
    }
    write_json(base + ".json", sidecar, indent=2, sort_keys=True)
    return sidecar


_BANKS: dict = {}


def _worker_bank(cache: str | None):
    if not cache:
        return None
    if cache not in _BANKS:
        from foleygan_tf.data.soundbank import SoundBank

        _BANKS[cache] = SoundBank.load(cache)
    return _BANKS[cache]


def synthesize_dataset(out_dir: str, clips_per_class: int, seconds: float = 3.0, fps=24, size: int = 128,
                       seed: int = 0, classes=None, sound_bank: str | None = None, workers: int = 1,
                       progress: bool = True, randomize: bool = False) -> list[dict]:
    """Generate the dataset; returns the sidecars (ordered by class, then index).

    ``sound_bank`` (a folder ``<class>/*.wav|flac|ogg|mp3``) is decoded once with tensorflow-io
    into a cache under ``out_dir/.cache`` that the workers memory-map."""
    from tqdm import tqdm

    classes = list(classes or AFD_CLASSES)
    unknown = [c for c in classes if c not in SCENES]
    if unknown:
        raise ValueError(f"unknown class(es) {unknown}; choose from {', '.join(AFD_CLASSES)}")
    if clips_per_class < 1:
        raise ValueError("--clips-per-class must be ≥ 1")
    if seconds <= 0.5:
        raise ValueError("--seconds must be > 0.5")
    if size < 16 or size % 2:
        raise ValueError(f"--size must be an even number ≥ 16 (H.264 4:2:0), got {size}")
    fps = parse_fps(fps)
    cache = None
    if sound_bank:  # first, so that an unusable bank leaves no output folder behind
        from foleygan_tf.data.soundbank import SoundBank

        cache = SoundBank.build_cache(sound_bank, classes, os.path.join(out_dir, ".cache"),
                                      sample_rate=SAMPLE_RATE, progress=progress)
    os.makedirs(out_dir, exist_ok=True)
    specs = [ClipSpec(out_dir, c, i, seed, seconds, fps, size, cache, randomize)
             for c in classes for i in range(clips_per_class)]
    bar = tqdm(total=len(specs), desc="synth-data", unit="clip", disable=not progress)
    results: list[dict] = []
    if workers > 1 and len(specs) > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            for sidecar in pool.imap(generate_clip, specs, chunksize=1):
                results.append(sidecar)
                bar.update()
    else:
        for spec in specs:
            results.append(generate_clip(spec))
            bar.update()
    bar.close()
    return results
