"""P_act → audio timeline → S_act (foleygan_tf/models/action_spectrogram.py)."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def act(tf):
    from foleygan_tf.models import action_spectrogram

    return action_spectrogram


def _codec(audio_cfg, encoding=None):
    from foleygan_tf.audio import SpectrogramCodec

    return SpectrogramCodec(audio_cfg, encoding=encoding)


def _loudest_column(image):
    """Index of the time column (axis 0 of [R, R, 3]) with the largest mean ch0 (log magnitude)."""
    return int(np.argmax(np.asarray(image)[..., 0].mean(axis=-1)))


def test_timeline_is_linear_interpolation_at_pair_midpoints(act):
    fps, sr, n = 24.0, 100.0, 300
    p = np.arange(10, dtype=np.float32)[None] / 10.0       # P[t] = t / 10, 10 pairs = 11 frames
    wave = act.pact_to_audio_timeline(p, fps, n, sr).numpy()[0]
    s = np.arange(n) / sr
    u = np.clip(s * fps - 0.5, 0, 9)                        # pair t sits at (t + 0.5) / fps
    want = np.where(s < 11 / fps, u / 10.0, 0.0)            # zero after the video's last frame
    np.testing.assert_allclose(wave, want, atol=1e-6)
    # a single [P] input and per-example fps / lengths in a batch
    single = act.pact_to_audio_timeline(p[0], fps, n, sr).numpy()
    np.testing.assert_allclose(single, wave, atol=1e-7)
    both = act.pact_to_audio_timeline(np.ones((2, 10), np.float32), [24.0, 12.0], n, sr,
                                      lengths=[10, 4]).numpy()
    assert np.all(both[0, s < 11 / 24.0] == 1) and np.all(both[0, s >= 11 / 24.0] == 0)
    assert np.all(both[1, s < 5 / 12.0] == 1) and np.all(both[1, s >= 5 / 12.0] == 0)
    shifted = act.pact_to_audio_timeline(p, fps, n, sr, start_time=0.2).numpy()[0]
    np.testing.assert_allclose(shifted[: n - 20], wave[20:], atol=1e-6)


@pytest.mark.parametrize("preset", ["tiny", "bundled", "small", "paper"])
@pytest.mark.parametrize("encoding", ["lms", "stft"])
def test_action_impulse_lines_up_with_a_click(act, preset, encoding):
    """An impulse-like P_act at pair t and an audio click at that pair's time light the same
    spectrogram time column (±1) — S_act and the sound image share their time axis."""
    from foleygan_tf.config import get_preset

    cfg = get_preset(preset)
    codec = _codec(cfg.audio, encoding)
    for fps in (24.0, 29.97):
        num_pairs = int(cfg.audio.clip_seconds * fps) - 1
        offsets = []
        for t in (5, num_pairs // 3, num_pairs // 2, num_pairs - 6):
            click = np.zeros(codec.clip_samples, np.float32)
            click[int(round((t + 0.5) / fps * codec.sample_rate))] = 1.0
            sound_col = _loudest_column(codec.encode(click))
            p = np.zeros(num_pairs, np.float32)
            p[t] = 1.0
            s_act, steps = act.action_spectrogram(p, fps, cfg.audio, codec=codec, with_steps=True)
            assert s_act.shape == (codec.image_size, codec.image_size, 3)
            assert steps.shape == (codec.image_size,)
            offsets.append((sound_col, _loudest_column(s_act), int(np.argmax(steps))))
        for sound_col, act_col, step_col in offsets:
            assert abs(act_col - sound_col) <= 1, offsets
            assert abs(step_col - sound_col) <= 1, offsets
        # and the columns really move with t (the test can fail)
        assert offsets[-1][0] - offsets[0][0] > codec.image_size // 2


def test_action_spectrogram_batched_shapes_range_and_layer(tf, act, tiny_cfg):
    r = tiny_cfg.audio.image_size
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, (3, 47)).astype(np.float32)
    layer = act.ActionSpectrogram(tiny_cfg.audio)
    out = layer(p, tf.constant([24.0, 16.0, 29.97]))
    assert out["s_act"].shape == (3, r, r, 3) and out["p_act_steps"].shape == (3, r)
    img = out["s_act"].numpy()
    assert img.min() >= -1.0 and img.max() <= 1.0
    steps = out["p_act_steps"].numpy()
    assert steps.min() >= 0.0 and steps.max() <= 1.0
    # each example uses its own fps: different outputs for the same P_act at another fps
    again = layer(np.stack([p[0], p[0], p[0]]), tf.constant([24.0, 16.0, 29.97]))["s_act"].numpy()
    assert np.abs(again[0] - again[1]).max() > 1e-3
    # padding columns beyond the real STFT frames are 0 in the step signal
    codec = _codec(tiny_cfg.audio)
    assert np.all(steps[:, codec.num_frames:] == 0)
    clone = act.ActionSpectrogram.from_config(layer.get_config())
    np.testing.assert_allclose(clone(p, 24.0)["s_act"].numpy(), layer(p, 24.0)["s_act"].numpy(), atol=1e-6)


def test_in_tf_data_and_tf_function(tf, act, tiny_cfg):
    codec = _codec(tiny_cfg.audio)
    p = np.random.default_rng(1).uniform(0, 1, (4, 30)).astype(np.float32)
    fps = np.array([10.0, 10.0, 12.0, 12.0], np.float32)
    ds = tf.data.Dataset.from_tensor_slices((p, fps)).map(
        lambda p, f: act.action_spectrogram(p, f, tiny_cfg.audio, codec=codec))
    images = np.stack([x.numpy() for x in ds])
    fn = tf.function(lambda p, f: act.action_spectrogram(p, f, tiny_cfg.audio, codec=codec),
                     input_signature=[tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([None], tf.float32)])
    batched = fn(p, fps).numpy()
    np.testing.assert_allclose(images, batched, atol=1e-5)


def test_saved_model_round_trip(tf, act, tiny_cfg, tmp_path):
    layer = act.ActionSpectrogram(tiny_cfg.audio)

    class Export(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32, name="p_act"),
                                      tf.TensorSpec([None], tf.float32, name="fps")])
        def serve(self, p_act, fps):
            return layer(p_act, fps)

    module = Export()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures={"serving_default": module.serve})
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    p = np.random.default_rng(2).uniform(0, 1, (2, 20)).astype(np.float32)
    got = loaded.signatures["serving_default"](p_act=tf.constant(p), fps=tf.constant([8.0, 10.0]))
    want = layer(p, tf.constant([8.0, 10.0]))
    np.testing.assert_allclose(got["s_act"].numpy(), want["s_act"].numpy(), atol=1e-5)
    np.testing.assert_allclose(got["p_act_steps"].numpy(), want["p_act_steps"].numpy(), atol=1e-6)


def test_no_pairs_is_an_error(tf, act, tiny_cfg):
    with pytest.raises(tf.errors.InvalidArgumentError, match="pair"):
        act.pact_to_audio_timeline(np.zeros((1, 0), np.float32), 24.0, 100, 100.0)


@pytest.mark.parametrize("source_fps", [24.0, 30000 / 1001, 25.0])
def test_prepared_frames_sit_at_i_over_fps(tmp_path, monkeypatch, source_fps):
    """``prepare`` with ``frames_per_clip`` > 0 stores, as frame i, the source frame presented
    nearest to ``i / fps`` — the time P_act and S_act assume (docs/trn.md). (Sampling the centres
    ``(i + 0.5) / fps`` put P_act half a stored frame early: 62.5 ms at the tiny preset's 8 fps.)
    An event drawn on a source frame then lands on the stored frame nearest its time."""
    import json

    from foleygan_tf.data import prepare
    from foleygan_tf.video import frames as frames_mod

    n_src = int(round(3.2 * source_fps))
    # source frame j is a constant image of value j (raw storage: no JPEG loss)
    src = np.broadcast_to(np.arange(n_src, dtype=np.uint8)[:, None, None, None], (n_src, 4, 4, 3)).copy()
    monkeypatch.setattr(frames_mod, "read_frames", lambda path, frame_size=None: (src, source_fps))
    monkeypatch.setattr(prepare, "_audio_duration_check", lambda path: None)
    monkeypatch.setattr(prepare, "decode_audio_track", lambda path, sr: np.zeros(int(3.2 * sr), np.float32))
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"x")
    event_frame = 37
    (tmp_path / "clip.json").write_text(json.dumps({"events": [event_frame / source_fps]}))
    opt = prepare.PrepareOptions(sample_rate=100, clip_seconds=3.0, frame_size=4, frames_per_clip=24,
                                 hop_seconds=3.0, min_seconds=1.0, frame_format="raw")
    task = prepare.ClipTask(path=str(video), clip_id="clip.mp4", label=0, class_name="x")
    (window,) = prepare.load_clip_windows(task, opt)
    fps = window["fps"]
    assert fps == pytest.approx(8.0)
    stored = np.frombuffer(window["frames"][0], np.uint8).reshape(24, 4, 4, 3)[:, 0, 0, 0].astype(int)
    shown_at = stored / source_fps                                  # presentation time of each stored frame
    assert np.abs(shown_at - np.arange(24) / fps).max() <= 0.5 / source_fps + 1e-9
    if source_fps == 24.0:
        assert stored.tolist() == list(range(0, 72, 3))
    # the event's stored frame (nearest to its time) is the one showing the source event frame
    (event,) = window["events"]
    i = int(round(event * fps))
    assert abs(stored[i] - event_frame) <= source_fps / fps / 2 + 1e-9
