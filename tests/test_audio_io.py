"""Audio file I/O: audio files, audio tracks of real mp4s (PyAV), downmix, resampling, errors."""

import os
from fractions import Fraction

import numpy as np
import pytest

from foleygan_tf.audio import (AudioFileError, fit_length, load_audio, load_clip, natural_test_signal,
                               resample, to_mono, write_wav)
from foleygan_tf.config import get_preset


def write_mp4(path, seconds=1.0, fps=25, audio=None, sample_rate=44100, stereo=True):
    """A real H.264 (+ AAC) mp4 written with PyAV."""
    import av

    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        astream = None
        if audio is not None:
            astream = out.add_stream("aac", rate=sample_rate, layout="stereo" if stereo else "mono")
        for i in range(int(round(seconds * fps))):
            img = np.full((48, 64, 3), (i * 7) % 255, np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if astream is not None:
            data = np.stack([audio, audio]) if stereo else audio[None]
            frame = av.AudioFrame.from_ndarray(data.astype(np.float32), format="fltp",
                                               layout="stereo" if stereo else "mono")
            frame.sample_rate = sample_rate
            frame.pts = 0
            for packet in astream.encode(frame):
                out.mux(packet)
            for packet in astream.encode():
                out.mux(packet)


def best_lag_correlation(a, b, max_lag):
    n = min(a.size, b.size) - 2 * max_lag
    scores = [np.corrcoef(a[max_lag:max_lag + n], b[max_lag + lag:max_lag + lag + n])[0, 1]
              for lag in range(-max_lag, max_lag + 1)]
    return max(scores), int(np.argmax(scores)) - max_lag


def test_audio_track_of_a_real_mp4(tmp_path):
    src = natural_test_signal(44100, 2.0, seed=4) * 0.8
    path = tmp_path / "clip.mp4"
    write_mp4(path, seconds=2.0, audio=src)
    wave = load_audio(path, 11025)
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert abs(wave.size - 2 * 11025) < 0.05 * 11025  # AAC priming/padding only
    corr, lag = best_lag_correlation(resample(src, 44100, 11025), wave, max_lag=40)
    assert corr > 0.9, (corr, lag)


def test_stereo_file_is_downmixed(tmp_path):
    import soundfile

    left = natural_test_signal(8000, 1.0, seed=5)
    right = -0.5 * left
    soundfile.write(tmp_path / "st.wav", np.stack([left, right], 1), 8000, subtype="FLOAT")
    wave, rate = load_audio(tmp_path / "st.wav")
    assert rate == 8000
    np.testing.assert_allclose(wave, 0.25 * left, atol=1e-6)


def test_ogg_from_the_sound_bank(soundbank_dir):
    import glob

    path = sorted(glob.glob(os.path.join(soundbank_dir, "clock", "*.ogg")))[0]
    cfg = get_preset("tiny").audio
    clip = load_clip(path, cfg)
    assert clip.shape == (cfg.clip_samples,) and np.abs(clip).max() > 0.01


def test_short_file_is_padded_to_the_clip(tmp_path):
    cfg = get_preset("tiny").audio
    write_wav(tmp_path / "short.wav", np.full(100, 0.5, np.float32), cfg.sample_rate)
    clip = load_clip(tmp_path / "short.wav", cfg)
    assert clip.shape == (cfg.clip_samples,)
    assert np.allclose(clip[:100], 0.5, atol=1e-3) and np.all(clip[100:] == 0)


def test_write_wav_is_atomic_and_refuses_nan(tmp_path):
    path = tmp_path / "out.wav"
    write_wav(path, np.zeros(10, np.float32), 8000)
    assert os.stat(path).st_mode & 0o777 == 0o644  # an ordinary file, not mkstemp's 0600
    with pytest.raises(ValueError, match="NaN"):
        write_wav(path, np.array([0.0, np.nan], np.float32), 8000)
    assert sorted(os.listdir(tmp_path)) == ["out.wav"]  # no temporary left behind, old file intact
    with pytest.raises(ValueError, match="mono"):
        write_wav(path, np.zeros((10, 2), np.float32), 8000)


def test_helpers():
    assert fit_length(np.ones(5), 3).tolist() == [1, 1, 1]
    assert fit_length(np.ones(2), 4).tolist() == [1, 1, 0, 0]
    np.testing.assert_allclose(to_mono(np.array([[1.0, 3.0], [2.0, 4.0]])), [2.0, 3.0])
    with pytest.raises(ValueError):
        to_mono(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="positive"):
        resample(np.zeros(10), 0, 8000)


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such file"),
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_text("this is not a video\n" * 50), "not a readable audio/video file"),
    (lambda p: write_mp4(p, seconds=0.5, audio=None), "has no audio track"),
])
def test_bad_files_give_one_line_errors_naming_the_file(tmp_path, make, message):
    path = tmp_path / "bad.mp4"
    make(path)
    with pytest.raises(AudioFileError, match=message) as info:
        load_audio(path, 8000)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_truncated_mp4_is_an_error_or_shorter(tmp_path):
    path = tmp_path / "full.mp4"
    write_mp4(path, seconds=2.0, audio=natural_test_signal(44100, 2.0, 6))
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    try:
        wave = load_audio(cut, 8000)
    except AudioFileError as err:
        assert str(cut) in str(err)
    else:
        assert wave.size < 2 * 8000
