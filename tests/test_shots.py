"""Shot cuts from colour histograms (`foleygan_tf.video.shots`): none inside any synthetic scene
(lightning flashes, muzzle flashes, moving objects), one at the frame where two scenes are joined,
none for a flash or a dissolve; the thresholds' measured margins."""

import itertools
from fractions import Fraction

import numpy as np
import pytest

from foleygan_tf.video.shots import (JUMP_THRESHOLD, MIN_SHOT_S, PERSISTENCE_THRESHOLD, cut_strengths, detect_cuts,
                                     shot_bounds)

FPS = 24


@pytest.fixture(scope="module")
def scenes():
    """Two 3 s clips of each of the 12 synthetic scenes at 32×32 px (what the bundled TRN sees)."""
    from foleygan_tf.data.synth import SCENES, ClipSpec, render_clip
    from foleygan_tf.video.frames import resize_frames

    return {(cls, i): resize_frames(render_clip(ClipSpec("unused", cls, i, 0, 3.0, Fraction(FPS), 64)).frames, 32)
            for cls in SCENES for i in range(2)}


def test_no_cut_inside_a_scene_and_one_where_two_are_joined(scenes):
    inside = [cut_strengths(frames, FPS)[1].max() for frames in scenes.values()]
    assert max(inside) < PERSISTENCE_THRESHOLD / 3, max(inside)          # flashes make jumps, not cuts
    assert all(detect_cuts(frames, FPS) == [] for frames in scenes.values())
    classes = sorted({c for c, _ in scenes})
    strengths = []
    for a, b in itertools.permutations(classes, 2):
        joined = np.concatenate([scenes[(a, 0)][-FPS:], scenes[(b, 1)][:FPS]])    # 1 s of each
        assert detect_cuts(joined, FPS) == [FPS], (a, b)
        jump, persistence = cut_strengths(joined, FPS)
        strengths.append(min(jump[FPS], persistence[FPS]))
    assert len(strengths) == 132
    assert min(strengths) > 1.1 * max(JUMP_THRESHOLD, PERSISTENCE_THRESHOLD), min(strengths)   # the margin


def test_flash_dissolve_and_close_cuts():
    rng = np.random.default_rng(0)
    blue = np.zeros((120, 24, 32, 3), np.uint8)
    blue[..., 2] = 150 + rng.integers(0, 20, (120, 24, 32), dtype=np.uint8)
    red = blue[..., ::-1].copy()
    flash = blue.copy()
    flash[40:43] = 250                                                    # 3 white frames
    assert detect_cuts(flash, FPS) == []
    cut = np.concatenate([blue[:50], red[:70]])
    assert detect_cuts(cut, FPS) == [50]
    assert shot_bounds([50], 120) == [(0, 50), (50, 120)] and shot_bounds([], 7) == [(0, 7)]
    mix = np.linspace(0, 1, 48)[:, None, None, None]                      # a 2 s dissolve
    dissolve = np.concatenate([blue[:36], (blue[:48] * (1 - mix) + red[:48] * mix).astype(np.uint8), red[:36]])
    assert detect_cuts(dissolve, FPS) == []
    # two cuts closer than MIN_SHOT_S: the stronger (blue → red, not red → purple) is kept
    purple = blue.copy()
    purple[..., 0] = 120
    close = np.concatenate([blue[:48], red[: int(MIN_SHOT_S * FPS) - 4], purple[:48]])
    assert detect_cuts(close, FPS) == [48]
    with pytest.raises(ValueError, match="fps must be"):
        detect_cuts(blue, 0)
