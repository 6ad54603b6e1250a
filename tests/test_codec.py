"""SpectrogramCodec: geometry, scaling, the inverse of every encoding, batching, bad input."""

import glob
import os

import numpy as np
import pytest

from foleygan_tf.audio import SpectrogramCodec, load_clip, natural_test_signal
from foleygan_tf.audio.quality import round_trip_report, spectral_convergence
from foleygan_tf.config import ENCODINGS, get_preset

# Round-trip bounds per encoding: measured values are in docs/ARCHITECTURE.md ("Encodings").
# Each bound is far below what a wrong inverse gives (spectral convergence ≥ ~1).
PAPER_SC_BOUND = {"stft": 0.01, "lms": 0.15, "ms": 0.2, "mfcc": 0.2, "cqt": 0.4}
TINY_SC_BOUND = {"stft": 0.1, "lms": 0.25, "ms": 0.25, "mfcc": 0.25, "cqt": 0.7}


@pytest.fixture(scope="module")
def paper_signal():
    return natural_test_signal(44100, 3.0, seed=0)


def test_stft_paper_round_trip_snr_at_least_40_db(tf, paper_signal):
    codec = SpectrogramCodec(get_preset("paper").audio, "stft")
    report = round_trip_report(codec, paper_signal)
    assert report["image"].shape == (512, 512, 3)
    assert report["snr_db"] >= 40.0, report["snr_db"]


def test_stft_paper_round_trip_of_a_real_recording(tf, soundbank_dir):
    cfg = get_preset("paper").audio
    path = sorted(glob.glob(os.path.join(soundbank_dir, "chopping", "*.ogg")))[0]
    wave = load_clip(path, cfg)
    report = round_trip_report(SpectrogramCodec(cfg, "stft"), wave)
    assert report["snr_db"] >= 40.0, report["snr_db"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_inverts_at_paper_preset(tf, paper_signal, encoding):
    codec = SpectrogramCodec(get_preset("paper").audio, encoding)
    report = round_trip_report(codec, paper_signal)
    assert report["spectral_convergence"] < PAPER_SC_BOUND[encoding]
    # A decoder that ignored its input (or decoded another clip) would not pass this:
    other = natural_test_signal(44100, 3.0, seed=1)
    mags = [np.abs(codec.stft(tf.constant(w[None])).numpy()) for w in (other, report["decoded"])]
    assert spectral_convergence(*mags) > 3 * report["spectral_convergence"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_inverts_at_tiny_preset(tf, encoding):
    cfg = get_preset("tiny").audio
    report = round_trip_report(SpectrogramCodec(cfg, encoding), natural_test_signal(cfg.sample_rate, 3.0, 2))
    assert report["image"].shape == (64, 64, 3)
    assert report["spectral_convergence"] < TINY_SC_BOUND[encoding]


def test_lms_mel_warp_keeps_magnitude_and_phase_information(tf, paper_signal):
    """With no Griffin-Lim refinement the LMS inverse is the pure mel-IF inverse: still informative."""
    cfg = get_preset("paper").audio
    cfg.lms_refine_iters = 0
    report = round_trip_report(SpectrogramCodec(cfg, "lms"), paper_signal)
    assert report["spectral_convergence"] < 0.5


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_channels_in_range_for_a_real_signal(tf, soundbank_dir, encoding):
    cfg = get_preset("small").audio
    path = sorted(glob.glob(os.path.join(soundbank_dir, "thunder", "*.ogg")))[0]
    image = SpectrogramCodec(cfg, encoding).encode(load_clip(path, cfg)).numpy()
    assert image.min() >= -1.0 and image.max() <= 1.0
    assert np.all(image[..., 2] == 0.0)  # the paper's zero-padding channel
    assert np.ptp(image[..., 0]) > 0.05  # not a degenerate image


def test_scaling_constants(tf):
    cfg = get_preset("paper").audio
    codec = SpectrogramCodec(cfg, "stft")
    assert codec.max_magnitude == pytest.approx(cfg.frame_length / 2)  # Σ periodic Hann
    assert codec.log_min == pytest.approx(np.log(cfg.log_floor))
    # A full-scale DC frame reaches the ceiling exactly; silence sits at the floor.
    image = codec.encode(np.ones(cfg.clip_samples, np.float32)).numpy()
    assert image[10, 0, 0] == pytest.approx(1.0, abs=1e-5)
    silent = codec.encode(np.zeros(cfg.clip_samples, np.float32)).numpy()
    assert np.all(silent[..., 0] == -1.0)


def test_time_axis_alignment(tf):
    """An impulse at t lands in the image row t / frame_step (the time axis is axis 1 of a batch)."""
    cfg = get_preset("tiny").audio
    codec = SpectrogramCodec(cfg, "stft")
    wave = np.zeros(cfg.clip_samples, np.float32)
    at = 1200
    wave[at] = 1.0
    energy = codec.encode(wave).numpy()[..., 0].mean(axis=1)
    frames_covering = [f for f in range(codec.num_frames)
                       if f * cfg.frame_step <= at < f * cfg.frame_step + cfg.frame_length]
    assert int(np.argmax(energy)) in frames_covering


def assert_images_close(a, b, atol=1e-5):
    """Channel 1 holds phase/π: ±1 are the same angle, so compare it on the circle."""
    np.testing.assert_allclose(a[..., 0::2], b[..., 0::2], atol=atol)
    d = np.abs(a[..., 1] - b[..., 1])
    assert np.max(np.minimum(d, 2.0 - d)) < atol


def test_batched_tf_function_and_tf_data_match_eager(tf):
    cfg = get_preset("tiny").audio
    codec = SpectrogramCodec(cfg)  # lms, the default
    waves = np.stack([natural_test_signal(cfg.sample_rate, 3.0, s) for s in range(3)])
    eager = codec.encode(waves).numpy()
    assert eager.shape == (3, 64, 64, 3)
    graph = tf.function(codec.encode)(tf.constant(waves)).numpy()
    assert_images_close(graph, eager)
    ds = tf.data.Dataset.from_tensor_slices(waves).batch(3).map(codec.encode)
    assert_images_close(next(iter(ds)).numpy(), eager)
    decoded = tf.function(codec.decode)(tf.constant(eager)).numpy()
    assert decoded.shape == (3, cfg.clip_samples)
    np.testing.assert_allclose(codec.decode(eager[1]).numpy(), decoded[1], atol=1e-4)


def test_short_clip_is_padded_and_long_clip_cropped(tf):
    cfg = get_preset("tiny").audio
    codec = SpectrogramCodec(cfg, "stft")
    short = natural_test_signal(cfg.sample_rate, 1.0, 3)
    padded = np.pad(short, (0, cfg.clip_samples - short.size))
    assert_images_close(codec.encode(short).numpy(), codec.encode(padded).numpy())
    long = natural_test_signal(cfg.sample_rate, 5.0, 3)
    assert_images_close(codec.encode(long).numpy(), codec.encode(long[: cfg.clip_samples]).numpy())
    assert codec.decode(codec.encode(short)).shape == (cfg.clip_samples,)


@pytest.mark.parametrize("bad, kwargs, message", [
    (np.zeros(0, np.float32), {}, "empty"),
    (np.array([0.0, np.nan] * 100, np.float32), {}, "NaN or inf"),
    (np.array([0.0, np.inf] * 100, np.float32), {}, "NaN or inf"),
    (np.zeros((2, 3, 100), np.float32), {}, "rank 3"),
    (np.zeros((500, 2), np.float32), {}, r"\[samples, channels\]"),
    (np.zeros(2067, np.float32), {"sample_rate": 44100}, "sample rate 44100 Hz does not match"),
    (np.array(["a"]), {}, "dtype"),
])
def test_bad_waveforms_raise_clear_errors(tf, bad, kwargs, message):
    codec = SpectrogramCodec(get_preset("tiny").audio, "stft")
    with pytest.raises(ValueError, match=message):
        codec.encode(bad, **kwargs)


def test_bad_images_raise_clear_errors(tf):
    codec = SpectrogramCodec(get_preset("tiny").audio, "stft")
    with pytest.raises(ValueError, match=r"\[batch, 64, 64, 3\]"):
        codec.decode(np.zeros((1, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match="must be float"):
        codec.decode(np.zeros((64, 64, 3), np.int32))


def test_nan_in_graph_mode_is_caught(tf):
    codec = SpectrogramCodec(get_preset("tiny").audio, "stft")
    fn = tf.function(codec.encode)
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or inf"):
        fn(tf.constant([[0.0, float("nan")] * 100]))


def test_unknown_encoding():
    with pytest.raises(ValueError, match="unknown encoding"):
        SpectrogramCodec(get_preset("tiny").audio, "wavelet")
