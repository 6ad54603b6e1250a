"""Domain randomisation of synthetic frames (`foleygan synth-data --randomize`): same events and
sound, frames that move between events, deterministic per clip."""

from fractions import Fraction

import numpy as np

from foleygan_tf.data.domain_randomization import CRF, randomize_frames
from foleygan_tf.data.synth import DEFAULT_CRF, ClipSpec, render_clip, synthesize_dataset


def _spec(randomize, cls="clock", index=0):
    return ClipSpec("unused", cls, index, 3, 3.0, Fraction(24), 64, randomize=randomize)


def _still_pairs(frames, events, margin=3):
    """Mean absolute difference of the consecutive frame pairs at least ``margin`` frames from any
    event (where the still-camera scene hardly changes)."""
    keep = [k for k in range(1, len(frames)) if all(abs(k - e) > margin for e in events)]
    diff = np.abs(np.diff(frames.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))
    return diff[[k - 1 for k in keep]]


def test_randomized_clip_keeps_events_and_sound():
    scene, frames, wave, sources, crf = render_clip(_spec(False))
    scene_r, frames_r, wave_r, sources_r, crf_r = render_clip(_spec(True))
    assert scene_r.events == scene.events and scene.events
    np.testing.assert_array_equal(wave_r, wave)
    assert sources_r == sources
    assert frames_r.shape == frames.shape and frames_r.dtype == np.uint8
    assert not np.array_equal(frames_r, frames)
    assert crf == DEFAULT_CRF and CRF[0] <= crf_r <= CRF[1]


def test_randomized_frames_change_where_nothing_sounds():
    """What the 2TRN must learn to ignore: over six clips (each effect is on with probability
    0.75), the picture changes between events far more than the still-camera scene's."""
    still, moving = [], []
    for index in range(6):
        clean = render_clip(_spec(False, index=index))
        scene, frames = clean.scene, clean.frames
        still.append(_still_pairs(frames, scene.events).mean())
        moving.append(_still_pairs(render_clip(_spec(True, index=index)).frames, scene.events).mean())
    assert np.mean(moving) > 3 * np.mean(still) + 1.0, (still, moving)


def test_randomization_is_deterministic_and_differs_between_clips():
    frames = render_clip(_spec(False)).frames
    a, crf_a = randomize_frames(frames, np.random.default_rng(7))
    b, crf_b = randomize_frames(frames, np.random.default_rng(7))
    c, _ = randomize_frames(frames, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert crf_a == crf_b
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(render_clip(_spec(True)).frames, render_clip(_spec(True)).frames)
    assert not np.array_equal(render_clip(_spec(True, index=1)).frames[0], render_clip(_spec(True)).frames[0])


def test_synth_data_randomize_writes_readable_clips_with_the_flag(tmp_path):
    from foleygan_tf.video.frames import read_frames

    sidecars = synthesize_dataset(str(tmp_path), 1, seconds=1.0, size=32, seed=2, classes=["horse"],
                                  progress=False, randomize=True)
    assert sidecars[0]["randomized"] is True
    frames, fps = read_frames(str(tmp_path / "horse" / "horse_0000.mp4"))
    assert frames.shape == (24, 32, 32, 3) and abs(fps - 24) < 1e-6
