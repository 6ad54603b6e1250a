"""Camera-motion compensation of the motion stream (foleygan_tf/video/stabilize.py)."""

import numpy as np
import pytest

from foleygan_tf.video.stabilize import aligned_differences, max_camera_shift, translation_between


def _scene(seed=0, size=96):
    import cv2

    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.uniform(0, 255, (size, size, 3)).astype(np.float32), (9, 9), 2.5)


def _moved(base, dy, dx, crop=16):
    """The 64×64 centre of ``base`` with its content moved down ``dy`` and right ``dx`` pixels."""
    import cv2

    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    size = base.shape[0]
    return cv2.warpAffine(base, matrix, (size, size), flags=cv2.INTER_LINEAR)[crop:-crop, crop:-crop]


@pytest.mark.parametrize("dy, dx", [(0, 0), (2, -1), (-3, 4), (-6, 5), (0.5, -0.3), (1.25, 0.7)])
def test_camera_shift_is_found_and_removed(dy, dx):
    base = _scene()
    previous, following = _moved(base, 0, 0), _moved(base, dy, dx)
    shift = translation_between(previous[None], following[None], 6).numpy()[0]
    assert np.allclose(shift, [dy, dx], atol=0.25)
    diff = aligned_differences(np.stack([previous, following])[None], 6).numpy()[0, 0]
    raw = np.abs(following - previous).mean()
    residual = np.abs(diff).mean()
    if (dy, dx) == (0, 0):
        assert residual < 1e-3
    elif float(dy).is_integer() and float(dx).is_integer():
        assert residual < 0.1 * raw             # whole pixels: moved back exactly
    else:
        assert residual < 0.5 * raw             # fractions: the interpolation blurs a little
    # the rows / columns that came in from outside the picture count as unchanged
    if dy >= 1:
        assert not diff[-1].any()
    if dx <= -1:
        assert not diff[:, 0].any()


def test_search_radius_keeps_a_large_motion_out():
    """A shift beyond max_shift is not taken for the camera's: the estimate stays within it."""
    base = _scene(1)
    shift = translation_between(_moved(base, 0, 0)[None], _moved(base, 0, 12)[None], 4).numpy()[0]
    assert np.all(np.abs(shift) <= 4.5)
    assert max_camera_shift(64) == 6 and max_camera_shift(8) == 1


def test_pairs_of_a_clip_and_still_frames():
    """Every consecutive pair of a [B, T] clip is aligned on its own; a still pair differs by 0."""
    base = _scene(2)
    steps = [(0, 0), (1, 2), (1, 2), (-2, 3)]             # frame t's content, moved
    clip = np.stack([_moved(base, dy, dx) for dy, dx in steps])
    clips = np.stack([clip, clip[::-1]])                   # and the same played backwards
    diff = aligned_differences(clips, 6).numpy()
    assert diff.shape == (2, 3, 64, 64, 3)
    assert np.abs(diff[:, 1]).max() < 1e-3                 # the still pair, both ways
    for b in range(2):
        for t in (0, 2):
            assert np.abs(diff[b, t]).mean() < 0.1 * np.abs(clips[b, t + 1] - clips[b, t]).mean()


def test_action_recognizer_motion_alignment_switch(tiny_cfg):
    """trn.motion_alignment reaches the model (config → model → get_config) and changes only the
    motion stream: a still clip gives the same 2TRN output either way, a panning clip does not."""
    import dataclasses

    from foleygan_tf.models import build_action_recognizer

    cfg = dataclasses.replace(tiny_cfg, trn=dataclasses.replace(tiny_cfg.trn, pair_input="rgb_difference"))
    plain = build_action_recognizer(cfg, deterministic=True)
    cfg.trn.motion_alignment = "translation"
    cfg.validate()
    aligned = build_action_recognizer(cfg, deterministic=True)
    assert aligned.get_config()["motion_alignment"] == "translation"
    aligned.set_weights(plain.get_weights())
    size = cfg.video.frame_size
    base = _scene(3, size + 32)
    pan = np.stack([_moved(base, 0, 0.7 * t) for t in range(6)]).clip(0, 255).astype(np.uint8)[None]
    still = np.repeat(pan[:, :1], 6, axis=1)
    # (an untrained 2TRN's P_act is ≈ 1/C whatever it reads: compare its logits)
    change = {}
    for name, clip in (("still", still), ("pan", pan)):
        a = plain(clip, heads=("pair",))["pair_logits"].numpy()
        b = aligned(clip, heads=("pair",))["pair_logits"].numpy()
        assert np.all(np.isfinite(b))
        change[name] = (np.abs(a - b).max(), np.abs(a).max())
    assert change["still"][0] < 1e-6                          # a zero difference either way
    assert change["pan"][0] > 0.1 * change["pan"][1] > 0      # the camera's shift removed: other input
    cfg.trn.motion_alignment = "optical_flow"
    with pytest.raises(ValueError, match="motion_alignment"):
        cfg.validate()
    cfg.trn.motion_alignment, cfg.trn.pair_input = "translation", "difference"
    with pytest.raises(ValueError, match="needs trn.pair_input='rgb_difference'"):
        cfg.validate()
