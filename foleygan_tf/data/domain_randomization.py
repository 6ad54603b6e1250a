"""Domain randomisation of a synthetic clip's frames (``foleygan synth-data --randomize``).

The synthetic scenes are flat drawings seen by a still camera: the only thing that changes between
two frames is the scene's own action, so a 2TRN trained on them learns "the picture changed → a
sound starts". Real footage changes all the time without a sound: a hand-held camera shakes, pans
and zooms, light drifts, the sensor adds noise, things move silently in the background, the codec
blurs. This pass adds those after the scene has drawn its frames, so the scene's events, the
sound track and the sidecar stay exactly as they were and the 2TRN has to tell the action from
the nuisance motion.

Every effect draws its parameters once per clip from the clip's own generator; all but the
frame-to-frame sensor noise are smooth over time (none has a step that could look like an
event). Each is on with probability ``P_EFFECT``, so some clips keep a still camera or a clean
picture.

    frames uint8 [T, S, S, 3] ──► texture ► silent distractors ► camera ► light ► blur ► noise
                                  ──► uint8 [T, S, S, 3]  (+ an H.264 CRF for the writer)
"""

from __future__ import annotations

import cv2
import numpy as np

P_EFFECT = 0.75              # probability that each effect is on for a clip
SHAKE_PX = (0.004, 0.03)     # hand-held shake amplitude, fraction of the frame side
PAN = (0.0, 0.12)            # pan over the clip, fraction of the frame side
ZOOM = (1.0, 1.35)           # zoom at the start; it drifts by ±ZOOM_DRIFT over the clip
ZOOM_DRIFT = 0.12
LIGHT_DRIFT = 0.15           # slow gain change, ± this fraction
COLOR_CAST = 0.15            # per-channel gain in 1 ± this
TEXTURE = (0.1, 0.4)         # strength of the photograph-like luminance texture
BLUR_SIGMA = (0.3, 1.2)      # Gaussian blur, pixels at a 64 px frame
NOISE_STD = (1.0, 7.0)       # sensor noise, grey levels
CRF = (18, 34)               # H.264 quality range (clean clips: synth.DEFAULT_CRF)


def _smooth_walk(rng: np.random.Generator, n: int, knots: int) -> np.ndarray:
    """A smooth random curve [n] with values in about [-1, 1]: ``knots`` random values
    interpolated with a cubic through time (no steps)."""
    from scipy.interpolate import CubicSpline

    knots = max(2, knots)
    curve = CubicSpline(np.linspace(0.0, 1.0, knots), rng.uniform(-1.0, 1.0, knots))(np.linspace(0.0, 1.0, n))
    return curve / max(1.0, float(np.abs(curve).max()))


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """A photograph-like luminance field [S, S] in about [-1, 1]: octaves of smoothed noise
    (1/f-like), the kind of detail the flat drawings lack."""
    field = np.zeros((size, size), np.float32)
    for octave, weight in ((4, 1.0), (8, 0.6), (16, 0.35), (32, 0.2)):
        cells = min(octave, size)
        small = rng.standard_normal((cells, cells)).astype(np.float32)
        field += weight * cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
    return field / max(1e-6, float(np.abs(field).max()))


def _draw_distractors(rng: np.random.Generator, frames: np.ndarray) -> None:
    """1–2 silent objects moving smoothly across the picture (in place)."""
    t_count, size = frames.shape[0], frames.shape[1]
    for _ in range(int(rng.integers(1, 3))):
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        radius = rng.uniform(0.04, 0.14) * size, rng.uniform(0.04, 0.14) * size
        path_x = 0.5 + 0.45 * _smooth_walk(rng, t_count, 4)
        path_y = 0.5 + 0.45 * _smooth_walk(rng, t_count, 4)
        angle = rng.uniform(0, 180)
        for k in range(t_count):
            centre = (int(path_x[k] * size), int(path_y[k] * size))
            cv2.ellipse(frames[k], centre, (max(1, int(radius[0])), max(1, int(radius[1]))), angle, 0, 360,
                        color, -1, cv2.LINE_AA)


def _camera(rng: np.random.Generator, frames: np.ndarray) -> np.ndarray:
    """Hand-held shake + pan + zoom: one affine warp per frame (mirrored borders)."""
    t_count, size = frames.shape[0], frames.shape[1]
    shake = rng.uniform(*SHAKE_PX) * size
    shake_x = shake * _smooth_walk(rng, t_count, max(4, t_count // 4))
    shake_y = shake * _smooth_walk(rng, t_count, max(4, t_count // 4))
    pan = rng.uniform(*PAN) * size
    direction = rng.uniform(0, 2 * np.pi)
    ramp = np.linspace(-0.5, 0.5, t_count)
    zoom = rng.uniform(*ZOOM) * (1.0 + ZOOM_DRIFT * _smooth_walk(rng, t_count, 3))
    out = np.empty_like(frames)
    centre = (size - 1) / 2.0
    for k in range(t_count):
        matrix = cv2.getRotationMatrix2D((centre, centre), 0.0, float(max(1.0, zoom[k])))
        matrix[0, 2] += shake_x[k] + pan * np.cos(direction) * ramp[k]
        matrix[1, 2] += shake_y[k] + pan * np.sin(direction) * ramp[k]
        out[k] = cv2.warpAffine(frames[k], matrix, (size, size), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT)
    return out


def randomize_frames(frames: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Randomised copy of ``frames`` (uint8 [T, S, S, 3]) and the H.264 CRF to encode it with.

    Deterministic in ``rng``; the frame count, size and the timing of the scene's events are
    unchanged."""
    frames = np.asarray(frames, np.uint8)
    t_count, size = frames.shape[0], frames.shape[1]
    on = rng.uniform(size=6) < P_EFFECT
    work = frames.copy()
    if on[0]:  # on the scene, so that it moves with the camera
        shade = 1.0 + rng.uniform(*TEXTURE) * _texture(rng, size)[None, :, :, None]
        work = np.clip(work * shade, 0, 255).astype(np.uint8)
    if on[1]:
        _draw_distractors(rng, work)
    if on[2]:
        work = _camera(rng, work)
    img = work.astype(np.float32)
    if on[3]:
        gain = 1.0 + LIGHT_DRIFT * _smooth_walk(rng, t_count, 3)
        cast = rng.uniform(1.0 - COLOR_CAST, 1.0 + COLOR_CAST, 3)
        img = img * gain[:, None, None, None] * cast[None, None, None, :] + rng.uniform(-15, 15)
    if on[4]:
        sigma = rng.uniform(*BLUR_SIGMA) * size / 64.0
        img = np.stack([cv2.GaussianBlur(f, (0, 0), sigma) for f in img])
    if on[5]:
        img += rng.normal(0.0, rng.uniform(*NOISE_STD), img.shape).astype(np.float32)
    crf = int(rng.integers(CRF[0], CRF[1] + 1))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), crf
