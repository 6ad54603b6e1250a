"""Frame reading (real mp4 files written here) and TSN segment sampling (foleygan_tf/video/frames.py)."""

import fractions
import os

import numpy as np
import pytest

from foleygan_tf.video.frames import (read_frames, resample_indices, resize_frames, trained_frame_rate, tsn_indices,
                                      tsn_indices_tf, video_fps)


def _colour_frames(n, h, w):
    """Frame i: a distinct uniform colour (RGB) so order and channel order can be checked."""
    frames = np.zeros((n, h, w, 3), np.uint8)
    for i in range(n):
        frames[i, ..., 0] = 200                      # strong red everywhere
        frames[i, ..., 1] = (i * 37) % 200           # green encodes the index
        frames[i, ..., 2] = 30
    return frames


def _write_cv2(path, frames_rgb, fps):
    import cv2

    h, w = frames_rgb.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert writer.isOpened()
    for f in frames_rgb:
        writer.write(np.ascontiguousarray(f[..., ::-1]))
    writer.release()


def _write_pyav(path, frames_rgb, rate: fractions.Fraction):
    import av

    h, w = frames_rgb.shape[1:3]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for f in frames_rgb:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.mark.parametrize("fps,n,h,w", [(29.97, 45, 48, 64), (24.0, 30, 36, 40), (12.5, 10, 40, 30)])
def test_read_opencv_mp4_any_fps_and_size(tmp_path, fps, n, h, w):
    src = _colour_frames(n, h, w)
    path = tmp_path / f"clip_{fps}.mp4"
    _write_cv2(path, src, fps)
    frames, got_fps = read_frames(path)
    assert frames.dtype == np.uint8 and frames.shape == (n, h, w, 3)
    assert got_fps == pytest.approx(fps, abs=0.01)
    assert video_fps(path) == pytest.approx(fps, abs=0.01)
    # RGB order (red channel dominant) and frame order (green ramps with the index) survive.
    mean = frames.reshape(n, -1, 3).mean(axis=1)
    assert np.all(mean[:, 0] > mean[:, 2] + 100)
    assert np.abs(mean[:, 1] - src[:, 0, 0, 1]).max() < 12


def test_read_pyav_ntsc_rate_and_resize(tmp_path):
    src = _colour_frames(20, 64, 80)
    path = tmp_path / "ntsc.mp4"
    _write_pyav(path, src, fractions.Fraction(30000, 1001))
    frames, fps = read_frames(path, frame_size=32)
    assert frames.shape == (20, 32, 32, 3)
    assert fps == pytest.approx(29.97, abs=0.01)
    limited, _ = read_frames(path, max_frames=7)
    assert limited.shape == (7, 64, 80, 3)


@pytest.mark.parametrize("n", [1, 5])
def test_short_clips(tmp_path, n):
    path = tmp_path / f"short{n}.mp4"
    _write_cv2(path, _colour_frames(n, 32, 32), 24.0)
    frames, fps = read_frames(path, frame_size=16)
    assert frames.shape == (n, 16, 16, 3)
    idx = tsn_indices(len(frames), 8, training=False)
    assert idx.shape == (8,) and idx.min() == 0 and idx.max() == n - 1
    assert set(idx.tolist()) == set(range(n))  # every frame used, repeated to fill 8 segments
    assert frames[idx].shape == (8, 16, 16, 3)


def test_unreadable_and_empty_files_name_the_file(tmp_path):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(os.urandom(2048))
    with pytest.raises(ValueError, match="garbage.mp4"):
        read_frames(garbage)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.mp4"):
        read_frames(empty)
    with pytest.raises(FileNotFoundError, match="missing.mp4"):
        read_frames(tmp_path / "missing.mp4")


def test_resize_frames_shape_and_values():
    frames = np.full((3, 50, 70, 3), 77, np.uint8)
    out = resize_frames(frames, 24)
    assert out.shape == (3, 24, 24, 3) and out.dtype == np.uint8
    assert np.all(out == 77)
    with pytest.raises(ValueError):
        resize_frames(np.zeros((3, 10, 10)), 8)


# ---- TSN sampling ------------------------------------------------------------------------------

def test_resample_indices_nearest_presented_frame():
    """Output frame i stands for time start + i / target: the source frame presented nearest to it
    (source frame k at k / source fps); equal rates are the identity; the end clamps."""
    np.testing.assert_array_equal(resample_indices(24, 8.0, 24.0, 72), np.arange(0, 72, 3))
    np.testing.assert_array_equal(resample_indices(10, 25.0, 25.0, 10), np.arange(10))
    # 29.97 → 8 fps: t = i / 8 → k = round(t · 29.97): 0, 3.75 → 4, 7.49 → 7, 11.24 → 11, 14.985 → 15
    np.testing.assert_array_equal(resample_indices(5, 8.0, 30000 / 1001, 90), [0, 4, 7, 11, 15])
    # a later window start, and up-sampling repeats frames (12 → 24 fps)
    np.testing.assert_array_equal(resample_indices(4, 8.0, 24.0, 72, start=1.5), [36, 39, 42, 45])
    np.testing.assert_array_equal(resample_indices(6, 24.0, 12.0, 3), [0, 1, 1, 2, 2, 2])
    with pytest.raises(ValueError, match="count"):
        resample_indices(0, 8.0, 24.0, 10)
    with pytest.raises(ValueError, match="frame rates"):
        resample_indices(3, 0.0, 24.0, 10)


def test_trained_frame_rate():
    assert trained_frame_rate(24, 3.0) == 8.0 and trained_frame_rate(72, 3.0) == 24.0
    assert trained_frame_rate(0, 3.0) == 0.0          # shards at the source rate


def test_tsn_eval_centres():
    assert tsn_indices(16, 8).tolist() == [1, 3, 5, 7, 9, 11, 13, 15]
    assert tsn_indices(8, 8).tolist() == list(range(8))
    assert tsn_indices(72, 8).tolist() == [4, 13, 22, 31, 40, 49, 58, 67]
    assert tsn_indices(5, 8).tolist() == [0, 0, 1, 2, 2, 3, 4, 4]
    assert tsn_indices(1, 8).tolist() == [0] * 8
    # deterministic: same answer every call
    assert tsn_indices(37, 8).tolist() == tsn_indices(37, 8).tolist()


def test_tsn_training_random_frame_per_segment():
    n, s = 50, 8
    rng = np.random.default_rng(0)
    draws = np.stack([tsn_indices(n, s, training=True, rng=rng) for _ in range(400)])
    starts = np.floor(np.arange(s) * n / s).astype(int)
    stops = np.floor((np.arange(s) + 1) * n / s).astype(int)
    assert np.all(draws >= starts) and np.all(draws < stops)
    assert np.all(np.diff(draws, axis=1) > 0)  # strictly increasing (ordered relations)
    for i in range(s):  # every frame of every segment is reachable
        assert set(np.unique(draws[:, i])) == set(range(starts[i], stops[i]))
    # seeds: reproducible with the same seed, different across seeds
    assert tsn_indices(n, s, True, seed=3).tolist() == tsn_indices(n, s, True, seed=3).tolist()
    assert any(tsn_indices(n, s, True, seed=k).tolist() != tsn_indices(n, s, True, seed=0).tolist()
               for k in range(1, 6))


def test_tsn_training_short_clip_repeats_frames():
    rng = np.random.default_rng(1)
    for n in (1, 3, 5, 7):
        for _ in range(50):
            idx = tsn_indices(n, 8, training=True, rng=rng)
            assert idx.shape == (8,) and idx.min() >= 0 and idx.max() <= n - 1
            assert np.all(np.diff(idx) >= 0)


def test_tsn_zero_frames_is_an_error():
    with pytest.raises(ValueError, match="0 frames"):
        tsn_indices(0, 8)
    with pytest.raises(ValueError, match="0 frames"):
        tsn_indices(0, 8, training=True)


def test_tsn_tf_matches_numpy_and_stays_in_segments(tf):
    for n in (1, 5, 8, 16, 37, 72):
        assert tsn_indices_tf(tf.constant(n), 8).numpy().tolist() == tsn_indices(n, 8).tolist()
    fn = tf.function(lambda n: tsn_indices_tf(n, 8, training=True))
    n = 40
    draws = np.stack([fn(tf.constant(n)).numpy() for _ in range(100)])
    starts = np.floor(np.arange(8) * n / 8).astype(int)
    assert np.all(draws >= starts) and np.all(draws < starts + 5)
    assert len({tuple(d) for d in draws}) > 50  # fresh draw per call inside a traced function
    short = np.stack([fn(tf.constant(3)).numpy() for _ in range(20)])
    assert short.min() == 0 and short.max() <= 2 and np.all(np.diff(short, axis=1) >= 0)
    # per-example lengths (padded batches): one row per clip, each within its own length
    lengths = [1, 5, 16, 72]
    batched = tsn_indices_tf(tf.constant(lengths), 8).numpy()
    assert batched.tolist() == [tsn_indices(n, 8).tolist() for n in lengths]
    rows = tsn_indices_tf(tf.constant(lengths), 8, training=True, seed=tf.constant([1, 2])).numpy()
    assert rows.shape == (4, 8) and np.all(rows.max(axis=1) < np.array(lengths))
    assert np.all(np.diff(rows, axis=1) >= 0) and np.all(np.diff(rows[2:], axis=1) > 0)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tsn_indices_tf(tf.constant(0), 8)
