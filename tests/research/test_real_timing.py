"""research.sync.real_timing: P_act read as onsets against a recorded track, and the recorded track
against itself delayed."""

import numpy as np
import pytest

from research.sync.real_timing import format_real_timing, pact_curve, pact_scores, real_timing, shifted_self_scores


def _hits(times, seconds):
    """Decaying noise bursts starting at ``times`` (s) over faint noise, at the scoring rate."""
    from foleygan_tf.evaluation.real_video import SCORE_RATE

    rng = np.random.default_rng(0)
    wave = rng.normal(0, 1e-3, int(seconds * SCORE_RATE)).astype(np.float32)
    for t in times:
        i = int(t * SCORE_RATE)
        wave[i:i + 2000] += rng.normal(0, 1, 2000) * np.exp(-np.arange(2000) / 300.0)
    return wave


class _FakeTRN:
    """A ``serving_default`` stand-in: P_act 0.9 on the pair ending on a frame listed in
    ``peaks`` (indices into the whole video, from the window's ``offset``), 0.1 elsewhere."""

    def __init__(self, peaks):
        self.peaks, self.calls = set(peaks), []

    def __call__(self, frames, fps):
        import tensorflow as tf

        marks = frames.numpy()[0, :, 0, 0, 0].astype(int)       # each frame carries its own index
        self.calls.append((int(marks[0]), len(marks)))
        p = [0.9 if int(m) in self.peaks else 0.1 for m in marks[1:]]
        return {"p_act": tf.constant([p], tf.float32)}


def test_pact_curve_covers_every_frame_once_per_overlapping_window(tf):
    frames = np.zeros((100, 2, 2, 3), np.uint8)
    frames[:, 0, 0, 0] = np.arange(100)
    trn = _FakeTRN([30, 61, 99])
    curve = pact_curve(trn, frames, 24.0, 40)
    assert [c[0] for c in trn.calls] == [0, 20, 40, 60] and all(n == 40 for _, n in trn.calls)
    assert curve.shape == (100,)
    np.testing.assert_allclose(curve[[30, 61, 99]], 0.9)
    assert np.allclose(np.delete(curve, [30, 61, 99]), 0.1)


def test_pact_peaks_on_the_real_onsets_score_high_and_elsewhere_low():
    from foleygan_tf.evaluation.real_video import track_onsets

    times = [0.5, 1.3, 2.2]
    real = track_onsets(_hits(times, 3.0))
    on, off = np.full(72, 0.1), np.full(72, 0.1)
    on[[int(round(t * 24)) for t in times]] = 0.9
    off[[6, 40, 64]] = 0.9
    good, bad = pact_scores(on, 24.0, real), pact_scores(off, 24.0, real)
    assert good["f1"] == pytest.approx(1.0) and bad["f1"] == 0.0
    assert good["envelope_r"] > bad["envelope_r"] and good["max"] == pytest.approx(0.9)


def test_shifted_self_scores_fall_with_the_delay():
    wave = _hits([0.4, 1.1, 1.9, 2.5], 3.0)
    same, near, far = (shifted_self_scores(wave, ms) for ms in (0, 23, 300))
    assert same["f1"] == pytest.approx(1.0) and same["envelope_r"] == pytest.approx(1.0)
    assert same["envelope_r"] > near["envelope_r"] > far["envelope_r"]
    assert far["f1"] < 0.3 < near["f1"]


def test_real_timing_runs_the_bundled_trn_on_clips_with_their_own_sound(tmp_path, tf):
    from foleygan_tf.commands.options import DEFAULT_MODELS
    from foleygan_tf.data.synth import synthesize_dataset

    synthesize_dataset(str(tmp_path), 1, seconds=4.0, fps=30, size=32, seed=1, classes=["footstep", "typing"],
                       progress=False)
    videos = sorted(str(p) for p in tmp_path.rglob("*.mp4"))
    result = real_timing(f"{DEFAULT_MODELS}/trn", videos, shifts_ms=(0, 46))
    assert [r["video"] for r in result["videos"]] == videos and result["frame_rate"] == 24
    assert result["mean"]["shifted"][0.0]["f1"] == pytest.approx(1.0)
    assert 0.0 <= result["mean"]["pact"]["f1"] <= 1.0 and -1.0 <= result["mean"]["pact"]["envelope_r"] <= 1.0
    text = format_real_timing(result)
    assert "footstep_0000.mp4" in text and text.splitlines()[-1].startswith("mean")
