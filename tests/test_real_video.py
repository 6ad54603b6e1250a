"""The real-video measure (`foleygan_tf.evaluation.real_video`) and `foleygan evaluate --videos`:
onset matching per real onset, the mismatched reference, the frame-difference baseline, envelope r,
bandwidth and flatness on signals with known answers; the command on synthetic clips that carry their
own sound, with the bundled models; one-line errors."""

import json
import os

import numpy as np
import pytest

from foleygan_tf.cli import main
from tests.helpers.survey import DEFAULT_MODELS, make_clips
from tests.test_generate import write_silent_video

SR = 22050
CLICKS = [0.5, 1.0, 1.5, 2.0, 2.5]


def clicks(times, seconds=3.0, sr=SR, seed=0):
    """Decaying noise bursts starting at ``times`` over a faint noise floor, mono ``[seconds · sr]``."""
    rng = np.random.default_rng(seed)
    wave = 1e-4 * rng.standard_normal(int(seconds * sr))
    burst = rng.standard_normal(2000) * np.exp(-np.arange(2000) / 300.0)
    for t in times:
        i = int(round(t * sr))
        wave[i: i + len(burst)] += burst[: len(wave) - i]
    return wave.astype(np.float32)


def test_matching_takes_each_real_onset_in_time_order():
    """Each real onset in time order takes the nearest unused generated onset — not the closest
    pair overall (the sync table's order)."""
    from foleygan_tf.audio.onsets import match_onsets, onset_scores

    assert match_onsets([1.0, 1.08], [1.07], order="reference") == [(1.0, 1.07)]
    assert match_onsets([1.0, 1.08], [1.07]) == [(1.08, 1.07)]
    assert match_onsets([1.0, 1.05], [0.96, 1.02], order="reference") == [(1.0, 1.02), (1.05, 0.96)]
    s = onset_scores([1.0, 2.0, 3.0], [1.05, 2.2, 3.09], order="reference")
    assert (s["num_matched"], s["precision"], s["recall"]) == (2, 2 / 3, 2 / 3)
    with pytest.raises(ValueError, match="order must be one of"):
        match_onsets([1.0], [1.0], order="nearest")


def test_scores_of_tracks_with_known_onsets():
    """Own track: F1 1 and r 1; shifted beyond ±100 ms: F1 0; within: F1 1; an extra or a missing
    onset costs exactly its share; AP ranks by strength."""
    from foleygan_tf.evaluation.real_video import pair_scores, track_onsets

    real = clicks(CLICKS)
    onsets = track_onsets(real)
    np.testing.assert_allclose(onsets.times, CLICKS, atol=0.035)           # librosa's frames: 23 ms
    own = pair_scores(real, real)
    assert own["f1"] == own["ap"] == own["accuracy"] == 1.0 and own["envelope_r"] == pytest.approx(1.0)
    assert own["num_real"] == own["num_estimated"] == 5
    late = [t + 0.14 for t in CLICKS]
    far = pair_scores(real, clicks(late, seed=1))
    assert far["f1"] == 0.0 and far["num_estimated"] == 5 and far["envelope_r"] < 0.3
    near = pair_scores(real, clicks([t + 0.05 for t in CLICKS], seed=1))
    assert near["f1"] == 1.0 and 30 < near["mean_abs_offset_ms"] < 70
    extra = pair_scores(real, clicks(CLICKS + [2.8], seed=1))
    assert (extra["precision"], extra["recall"]) == (5 / 6, 1.0) and extra["f1"] == pytest.approx(10 / 11)
    missing = pair_scores(real, clicks([t for t in CLICKS if t != 1.5], seed=1))
    assert (missing["precision"], missing["recall"]) == (1.0, 0.8) and missing["f1"] == pytest.approx(8 / 9)
    # both cut to the shorter: a track ending at 1.7 s is scored on the real track's first 1.7 s
    short = pair_scores(real, clicks(CLICKS, seconds=1.7, seed=1))
    assert short["num_real"] == 3 and short["f1"] == 1.0


def test_envelope_correlation_and_bandwidth():
    from scipy import signal

    from foleygan_tf.evaluation.real_video import BANDWIDTH_RATE, bandwidth, envelope_correlation

    real = clicks(CLICKS)
    assert envelope_correlation(real, np.zeros_like(real)) == 0.0
    assert envelope_correlation(real, clicks(CLICKS, seed=5)) > 0.9
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(2 * BANDWIDTH_RATE).astype(np.float32)
    white = bandwidth(noise)
    assert white["bandwidth_hz"] == pytest.approx(0.99 * BANDWIDTH_RATE / 2, rel=0.01)
    assert white["flatness"] == pytest.approx(0.56, abs=0.03)                # white noise ≈ 0.56
    low = bandwidth(signal.sosfilt(signal.butter(8, 1000, fs=BANDWIDTH_RATE, output="sos"), noise))
    assert 900 < low["bandwidth_hz"] < 1500 and low["flatness"] < 0.05
    tone = bandwidth(np.sin(2 * np.pi * 440 * np.arange(BANDWIDTH_RATE) / BANDWIDTH_RATE).astype(np.float32))
    assert tone["bandwidth_hz"] == pytest.approx(440, abs=50) and tone["flatness"] < 0.01   # ±2 bins of 21.5 Hz
    # only the loud frames count: a tone with long silences is still a 440 Hz tone
    gated = np.concatenate([np.zeros(BANDWIDTH_RATE), np.sin(2 * np.pi * 440 * np.arange(BANDWIDTH_RATE) / 44100)])
    assert bandwidth(gated.astype(np.float32))["bandwidth_hz"] == pytest.approx(tone["bandwidth_hz"])
    assert bandwidth(np.zeros(BANDWIDTH_RATE, np.float32)) == {"bandwidth_hz": None, "flatness": None}


def test_frame_difference_onsets_follow_the_picture():
    """A square appearing (frame 12) and disappearing (frame 36) at 24 fps: onsets at 0.5 s and 1.5 s."""
    from foleygan_tf.evaluation.real_video import frame_difference_onsets

    frames = np.full((60, 120, 160, 3), 30, np.uint8)
    frames[12:36, 30:90, 40:120] = 220
    got = frame_difference_onsets(frames, 24.0)
    assert got.envelope.shape == (60,) and got.rate == 24.0
    np.testing.assert_allclose(got.times, [0.5, 1.5])
    assert frame_difference_onsets(frames[:1], 24.0).frames.size == 0


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return make_clips(tmp_path_factory.mktemp("real_video"), classes=("typing", "footstep", "horse"), seconds=3.0)


def test_evaluate_videos_command(clips, tmp_path, capsys, tf):
    """The command on three synthetic clips with their own sound: a line per clip, the report,
    clips in file-name order, the mismatched reference = the same generated track vs the next
    clip's real track; the scores recomputed from the library agree."""
    from foleygan_tf.evaluation.real_video import load_real_clip, score_track
    from foleygan_tf.inference.pipeline import FoleyPipeline

    out = tmp_path / "report"
    assert main(["evaluate", "--videos", *clips, "--models", DEFAULT_MODELS, "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("[default]: onset F1") == 3 and "default: mean over 3 clips" in printed
    report = json.loads((out / "report.json").read_text())
    md = (out / "report.md").read_text()
    names = [c["name"] for c in report["clips"]]
    assert names == ["footstep_0000.mp4", "horse_0000.mp4", "typing_0000.mp4"]
    assert all(n in md for n in names) and "mismatched reference" in md and "frame-difference baseline" in md
    real = {c: load_real_clip(c) for c in clips}
    by_name = {os.path.basename(c): real[c] for c in clips}
    pipe = FoleyPipeline.from_saved_models(DEFAULT_MODELS)
    for i, row in enumerate(report["clips"]):
        clip, following = by_name[names[i]], by_name[names[(i + 1) % 3]]
        track = pipe.render(clip.path, 44100, seed=0)["track"]
        want = score_track(clip, track, 44100, following)
        got = row["models"]["default"]
        for part in ("own", "mismatched"):
            for key in ("f1", "precision", "recall", "ap", "envelope_r"):
                assert got[part][key] == pytest.approx(want[part][key]), (names[i], part, key)
        assert got["bandwidth_hz"] == pytest.approx(want["bandwidth_hz"])
        assert abs(got["length_error_ms"]) < 1.0 and got["generated_s"] == pytest.approx(row["duration"], abs=1e-3)
        assert row["real_onsets"] >= 3 and got["classes"] in pipe.class_names
    mean = report["mean"]["models"]["default"]
    assert mean["own"]["f1"] == pytest.approx(np.mean([r["models"]["default"]["own"]["f1"] for r in report["clips"]]))
    assert mean["own"]["f1"] > mean["mismatched"]["f1"]                       # the models follow the picture
    # the generated tracks stay inside the models' band (11 025 Hz audio); the 44.1 kHz real ones do not
    assert mean["bandwidth_hz"] <= pipe.sample_rate / 2 < report["mean"]["real"]["bandwidth_hz"]


def test_evaluate_videos_errors_are_one_line(clips, tmp_path, capsys):
    silent = tmp_path / "silent clip.mp4"
    write_silent_video(silent, 1.0, 24)
    cases = [
        (["--videos", clips[0], str(silent)], f"{silent}: has no audio track"),
        (["--videos", str(tmp_path / "nothing.mp4")], "no such video file or folder"),
        (["--videos", str(tmp_path / "empty")], "no such video file or folder"),
        (["--videos", clips[0], "--classifier", str(tmp_path)], "--classifier goes with --shards"),
        (["--videos", clips[0], "--out", str(silent)], "--out exists and is not a directory"),
    ]
    (tmp_path / "empty_dir").mkdir()
    cases.append((["--videos", str(tmp_path / "empty_dir")], "no video file"))
    for argv, words in cases:
        capsys.readouterr()
        assert main(["evaluate", *argv, "--models", DEFAULT_MODELS, "--quiet"]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("foleygan: error:") and words in err and "\n" not in err, (argv, err)
    assert not (tmp_path / "out").exists()
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["evaluate", "--videos", clips[0], "--shards", str(tmp_path)])
    assert "not allowed with argument" in capsys.readouterr().err
