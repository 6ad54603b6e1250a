"""research.sync.event_detector: a class-free event detector on frame-pair differences, trained
towards the audio-onset pair weights and read on videos with their own sound."""

import numpy as np
import pytest

from research.sync.event_detector import build_detector, event_detector, format_event_detector, pair_targets

SR, FPS, SIDE, FRAMES = 11025, 8.0, 16, 24       # 3 s windows of 24 frames


def _window(event_frame: int, seed: int) -> dict:
    """A still picture in which a bright square appears on ``event_frame``, with a click on it."""
    from foleygan_tf.evaluation.real_video import SCORE_RATE
    from tests.research.test_real_timing import _hits

    rng = np.random.default_rng(seed)
    frames = np.repeat(rng.integers(0, 60, (1, SIDE, SIDE, 3), dtype=np.uint8), FRAMES, axis=0)
    frames[event_frame:, 4:12, 4:12] = 255
    wave = _hits([event_frame / FPS], FRAMES / FPS)          # at the scoring rate: resample to SR
    wave = np.interp(np.arange(int(FRAMES / FPS * SR)) / SR, np.arange(len(wave)) / SCORE_RATE, wave)
    return {"frames": frames, "fps": FPS, "wave": wave.astype(np.float32)}


def test_detector_gives_one_probability_per_pair_and_still_pairs_alike(tf):
    model = build_detector(SIDE)
    frames = np.zeros((2, 16, SIDE, SIDE, 3), np.uint8)
    frames[:, 10:] = np.random.default_rng(0).integers(0, 255, (2, 6, SIDE, SIDE, 3), dtype=np.uint8)
    out = np.asarray(model(frames))
    assert out.shape == (2, 15) and np.all((out > 0) & (out < 1))
    np.testing.assert_allclose(out[:, 2:7], out[:1, 2:3].repeat(5, axis=1).repeat(2, axis=0), rtol=1e-5)
    assert not np.allclose(out[0, 9:], out[0, 2])             # the changing pairs differ from the still ones


def test_pair_targets_mark_the_pairs_around_each_onset(tf):
    windows = [_window(8, 0), _window(16, 1)]
    windows[1]["frames"] = np.concatenate([windows[1]["frames"], windows[1]["frames"][:3]])   # cut to the shortest
    frames, w = pair_targets(windows, SR)
    assert frames.shape == (2, FRAMES, SIDE, SIDE, 3) and w.shape == (2, FRAMES - 1)
    assert set(np.argsort(w[0])[-2:]) <= {6, 7, 8} and set(np.argsort(w[1])[-2:]) <= {14, 15, 16}
    assert w[0, 7] > 0.3 and w[0, 15:].max() < 0.05 and w[1, :10].max() < 0.05


def test_event_detector_learns_the_events_and_reads_videos(tmp_path, tf):
    from foleygan_tf.commands.options import DEFAULT_MODELS
    from foleygan_tf.data.synth import synthesize_dataset

    train = [_window(4 + (i % 16), i) for i in range(32)]
    test = [_window(6 + 3 * i, 100 + i) for i in range(4)]
    synthesize_dataset(str(tmp_path), 1, seconds=3.0, fps=24, size=32, seed=1, classes=["footstep", "typing"],
                       progress=False)
    videos = sorted(str(p) for p in tmp_path.rglob("*.mp4"))
    result = event_detector(train, test, videos, SR, epochs=12, seed=0, models=DEFAULT_MODELS)
    assert result["synthetic_r"] > 0.5                        # the square's pair is the event
    through = result["through_generator"]
    assert through["gain"] > 0 and [r["video"] for r in through["videos"]] == videos
    assert all(0.0 <= r["f1"] <= 1.0 and r["bandwidth_hz"] > 0 for r in through["videos"])
    assert [r["video"] for r in result["videos"]] == videos and result["train_windows"] == 32
    assert all(0.0 <= r[k]["f1"] <= 1.0 for r in result["videos"] for k in ("own", "mismatched"))
    assert result["mean"]["f1"] == pytest.approx(np.mean([r["own"]["f1"] for r in result["videos"]]))
    assert format_event_detector(result).count("\n") == 2 * len(videos) + 3     # two tables of a line per video + mean
    with pytest.raises(ValueError, match="at least 2 videos"):
        event_detector(train, test, videos[:1], SR, epochs=1)


def test_detector_pipeline_gives_g_the_detector_curve(tf):
    """Gain 0: the detector sees no event anywhere, so every P_act the generator gets is chance
    (the 2TRN's own P_act is not constant on a changing picture); gain 50: its peaks reach 1."""
    from foleygan_tf.commands.options import DEFAULT_MODELS
    from research.sync.event_detector import detector_pipeline

    frames = np.random.default_rng(0).integers(0, 255, (30, 48, 48, 3), dtype=np.uint8)
    model = build_detector(SIDE)
    pipe = detector_pipeline(DEFAULT_MODELS, model, 0.0)
    chance = 1.0 / len(pipe.class_names)
    np.testing.assert_allclose(pipe.synthesize(frames, 10.0)["p_act"], chance, rtol=1e-6)
    pipe.event_gain = 50.0
    assert np.max(pipe.synthesize(frames, 10.0)["p_act"]) == pytest.approx(1.0)
