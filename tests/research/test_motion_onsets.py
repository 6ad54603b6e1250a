"""research.sync.motion_onsets: motion curves read from the frames, scored as onsets against the
video's own recorded track and the next video's."""

import numpy as np
import pytest

from research.sync.motion_onsets import curve_scores, flow_speed, format_motion_onsets, motion_onsets


def test_flow_speed_is_zero_for_a_still_picture_and_follows_a_moving_square():
    frames = np.zeros((10, 64, 64, 3), np.uint8)
    x = [8, 8, 8, 8, 8, 12, 16, 20, 20, 20]            # moves 4 px per frame into frames 5, 6, 7
    for t, left in enumerate(x):
        frames[t, 24:40, left:left + 16] = 255
    speed = flow_speed(frames)
    assert speed.shape == (10,)
    assert np.all(speed[[1, 2, 3, 4, 8, 9]] < 0.1) and speed[0] == speed[1]
    assert np.all(speed[5:8] > 2.0)


def test_a_curve_peaking_on_the_real_onsets_scores_high_and_is_cut_to_the_shared_length():
    from foleygan_tf.audio.onsets import Onsets
    from foleygan_tf.evaluation.real_video import track_onsets
    from tests.research.test_real_timing import _hits

    times = [0.5, 1.3, 2.2]
    real = track_onsets(_hits(times, 3.0))
    on, off = np.zeros(72, np.float32), np.zeros(72, np.float32)
    on[[int(round(t * 24)) for t in times]] = 1.0
    off[[6, 40, 64]] = 1.0

    def peaks(curve):
        return Onsets(curve, 24.0, np.flatnonzero(curve))

    good, bad = curve_scores(peaks(on), real, 3.0), curve_scores(peaks(off), real, 3.0)
    assert good["f1"] == pytest.approx(1.0) and bad["f1"] == 0.0
    assert good["envelope_r"] > 0.3 > bad["envelope_r"]
    first = curve_scores(peaks(on), real, 1.0)                         # only the onset at 0.5 s counts
    assert first["num_real"] == 1 and first["num_estimated"] == 1 and first["f1"] == pytest.approx(1.0)


def test_motion_onsets_on_clips_with_their_own_sound(tmp_path):
    from foleygan_tf.data.synth import synthesize_dataset

    synthesize_dataset(str(tmp_path), 1, seconds=3.0, fps=24, size=32, seed=1, classes=["footstep", "typing"],
                       progress=False)
    videos = sorted(str(p) for p in tmp_path.rglob("*.mp4"))
    result = motion_onsets(videos, side=32)
    assert [r["video"] for r in result["videos"]] == videos and result["side"] == 32
    for row in result["videos"]:
        assert set(row["curves"]) == {"frame difference", "flow speed", "flow rise"}
        assert all(0.0 <= c[k]["f1"] <= 1.0 for c in row["curves"].values() for k in ("own", "mismatched"))
    f1s = [r["curves"]["flow rise"]["own"]["f1"] for r in result["videos"]]
    assert result["mean"]["flow rise"]["f1"] == pytest.approx(np.mean(f1s))
    text = format_motion_onsets(result)
    assert text.count("\n") == len(videos) + 1 and "flow rise F1" in text
    with pytest.raises(ValueError, match="at least 2 videos"):
        motion_onsets(videos[:1], side=32)
