"""`foleygan generate` / `FoleyPipeline`: real mp4 inputs of any fps and length → a copy of the video
with a generated track whose duration equals the video's, video packets copied, input untouched;
windowing/cross-fade arithmetic; one-line errors."""

import hashlib
import os
from fractions import Fraction

import numpy as np
import pytest

from foleygan_tf.cli import main
from tests.helpers.shared_fixture import built_once


def write_silent_video(path, seconds, fps, size=(48, 64)):
    """H.264 mp4 without audio: a bar sweeping across a changing grey level."""
    import av

    n = int(round(seconds * float(fps)))
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.height, s.width = size
        s.pix_fmt = "yuv420p"
        s.options = {"threads": "1", "preset": "veryfast"}
        for i in range(n):
            img = np.full(size + (3,), 40, np.uint8)
            img[:, : (i * 5) % size[1]] = (i * 37) % 255
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return n


def streams_info(path):
    import av

    with av.open(str(path)) as c:
        out = {}
        for s in c.streams:
            out[s.type] = {"duration": float(s.duration * s.time_base) if s.duration else None,
                           "codec": s.codec_context.name, "rate": getattr(s, "rate", None)}
        return out


def video_packets(path):
    import av

    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.video[0]) if p.dts is not None]


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture(scope="module")
def models(tmp_path_factory, tf):
    """Tiny TRN + tiny GAN checkpoint, both at their initial weights (what is tested here is the
    pipeline around them, not what they learned) → `foleygan export RUN RUN DIR`."""
    from foleygan_tf.config import get_preset
    from foleygan_tf.models.build import build_action_recognizer
    from foleygan_tf.training.fit_gan import build_gan

    def build(root):
        cfg = get_preset("tiny")
        trn_run = root / "trn_run"
        trn_run.mkdir()
        cfg.save(str(trn_run / "config.json"))
        build_action_recognizer(cfg, deterministic=True).save_weights(str(trn_run / "trn.weights.h5"))
        gan_run = root / "gan_run"
        (gan_run / "checkpoints").mkdir(parents=True)
        cfg.save(str(gan_run / "config.json"))
        gan = build_gan(cfg)
        tf.train.CheckpointManager(gan.checkpoint(), str(gan_run / "checkpoints"), max_to_keep=1).save(checkpoint_number=2)
        out = root / "models"
        assert main(["export", str(trn_run), str(gan_run), str(out), "--no-verify"]) == 0
        return {"models": str(out)}

    out = built_once(tmp_path_factory, "generate_models", build)["models"]
    assert os.path.exists(os.path.join(out, "trn", "saved_model.pb"))
    assert os.path.exists(os.path.join(out, "generator", "saved_model.pb"))
    return out


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    a, b = root / "long_2997.mp4", root / "short_24.mp4"
    write_silent_video(a, 4.5, Fraction(30000, 1001))
    write_silent_video(b, 1.2, Fraction(24))
    return str(a), str(b)


def _check_output(inp, out, wav=None):
    info, src = streams_info(out), streams_info(inp)
    assert set(info) == {"video", "audio"} and set(src) == {"video"}
    video_s, audio_s = info["video"]["duration"], info["audio"]["duration"]
    assert abs(video_s - src["video"]["duration"]) < 1e-6
    assert info["audio"]["codec"] == "aac" and info["audio"]["rate"] == 44100
    assert abs(audio_s - video_s) <= 1024 / 44100, (audio_s, video_s)      # within one AAC frame
    assert video_packets(out) == video_packets(inp)                          # copied, not re-encoded
    if wav:
        import soundfile

        data, rate = soundfile.read(wav)
        assert rate == 44100 and len(data) == int(round(src["video"]["duration"] * 44100))
        assert 0.01 < float(np.sqrt(np.mean(data ** 2))) < 0.2                 # normalised, not silent
    return video_s, audio_s


def test_generate_cli_long_and_short_videos(models, videos, tmp_path, capsys):
    a, b = videos
    before = {p: sha(p) for p in videos}
    out = tmp_path / "out"
    assert main(["generate", a, b, "-o", str(out), "--models", models, "--seed", "3", "--wav", "--plot"]) == 0
    printed = capsys.readouterr()
    assert "2 window(s)" in printed.out and "1 window(s)" in printed.out
    for inp in videos:
        stem = os.path.splitext(os.path.basename(inp))[0]
        _check_output(inp, out / f"{stem}.mp4", wav=out / f"{stem}.wav")
        png = out / f"{stem}.png"
        assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert {p: sha(p) for p in videos} == before                             # inputs untouched
    assert not [f for f in os.listdir(out) if ".tmp-" in f]


def test_pipeline_is_the_models_composed(models, videos, tf):
    """A short clip is one window: the track is exactly the generator's waveform for the TRN's
    conditions and the sample_z draw, trimmed to the video; seeds and classes matter."""
    from foleygan_tf.inference.pipeline import FoleyPipeline
    from foleygan_tf.video.frames import read_frames

    pipe = FoleyPipeline.from_saved_models(models)
    frames, fps = read_frames(videos[1], frame_size=pipe.frame_size)
    got = pipe.synthesize(frames, fps, seed=5)
    # the 0.25 s pre-roll: the first frame held 6 frames at 24 fps, its audio cut away; the tiny TRN
    # was trained at 24 frames per 3 s clip: every third frame of that (35 frames → 12 at 8 fps)
    assert pipe.pre_roll == 0.25 and pipe.trn_fps == 8.0 and fps == 24.0 and len(frames) == 29
    held = np.concatenate([np.repeat(frames[:1], 6, axis=0), frames])
    trn = pipe.serve_trn(frames=tf.constant(held[None, ::3]), fps=tf.constant([8.0], tf.float32))
    index = int(np.argmax(trn["class_probs"].numpy()[0]))
    assert got["class_name"] == pipe.class_names[index] and got["class_source"] == "mtrn"
    # a tiny-preset G was trained on the MTRN's probabilities (gan.class_source = mtrn): it gets them
    assert pipe.class_source == "mtrn" and got["classes"] == pipe.class_names[index]
    z = pipe.sample_z_fn(seed=tf.constant(5, tf.int64), num=tf.constant(1), truncation=tf.constant(1.0))["z"]
    want = pipe.serve_gen(z=z, class_probs=trn["class_probs"],
                          action_spectrogram=trn["action_spectrogram"], action_curve=trn["action_curve"])
    n = int(round(frames.shape[0] / fps * pipe.sample_rate))
    lead = int(round(0.25 * pipe.sample_rate))
    assert got["wave"].shape == (n,)
    np.testing.assert_allclose(got["wave"], want["waveform"].numpy()[0, lead:lead + n], atol=1e-6)
    again = pipe.synthesize(frames, fps, seed=5)["wave"]
    np.testing.assert_array_equal(again, got["wave"])
    other_seed = pipe.synthesize(frames, fps, seed=6)["wave"]
    other_class = pipe.synthesize(frames, fps, seed=5, class_name=pipe.class_names[(index + 1) % 12])
    assert other_class["class_source"] == "user"
    for other in (other_seed, other_class["wave"]):
        assert np.abs(other - got["wave"]).max() > 1e-3 * np.abs(got["wave"]).max()


def test_trn_gets_frames_at_its_training_rate(models, tf):
    """The TRN export records the rate its shards were resampled to (tiny: 24 frames per 3 s =
    8 fps); the pipeline resamples every window's frames to it, so P_act has the pair spacing G
    was trained on whatever the video's rate (a TRN with rate 0 gets the video's own frames)."""
    import json

    from foleygan_tf.inference.pipeline import FoleyPipeline

    with open(os.path.join(models, "trn", "assets", "foleygan_trn.json")) as f:
        assert json.load(f)["frame_rate"] == 8.0
    fps, n = 60.0, 150                                           # 2.5 s at 60 fps: one window
    frames = np.zeros((n, 32, 32, 3), np.uint8)
    frames[:, :, :, 0] = np.arange(n, dtype=np.uint8)[:, None, None]   # red = source frame index
    for trn_fps, want_fps, want_idx in ((8.0, 8.0, np.floor(np.arange(20) / 8.0 * 60 + 0.5)),
                                        (0.0, 60.0, np.arange(n))):
        pipe = FoleyPipeline.from_saved_models(models, pre_roll=0.0)
        assert pipe.trn_fps == 8.0
        pipe.trn_fps = trn_fps
        seen = []
        serve = pipe.serve_trn

        def spy(frames, fps, serve=serve):
            seen.append((frames.numpy()[0, :, 0, 0, 0].astype(int), float(fps.numpy()[0])))
            return serve(frames=frames, fps=fps)

        pipe.serve_trn = spy
        got = pipe.synthesize(frames, fps, seed=1)
        assert len(seen) == 1
        np.testing.assert_array_equal(seen[0][0], want_idx)
        assert seen[0][1] == want_fps
        np.testing.assert_allclose(np.diff(got["p_act_times"]), 1.0 / want_fps, rtol=1e-9)
        assert got["p_act_times"][0] == pytest.approx(0.5 / want_fps)
        assert got["wave"].shape == (int(round(n / fps * pipe.sample_rate)),)


def test_pre_roll_holds_the_first_frame_and_is_cut_away(models, tf, capsys):
    """pre_roll s of the first frame (whole frames) go before the video; their audio is not in the
    track, their pairs not in the plotted P_act; a later window is unaffected by it."""
    from foleygan_tf.inference.pipeline import FoleyPipeline

    fps, n = 24.0, 96                                             # 4 s: two windows
    frames = np.zeros((n, 32, 32, 3), np.uint8)
    frames[:, :, :, 0] = (np.arange(n, dtype=np.uint8) + 1)[:, None, None]   # red = index + 1
    seen, outs = [], {}
    for pre in (0.0, 0.25):
        pipe = FoleyPipeline.from_saved_models(models, pre_roll=pre)
        serve = pipe.serve_trn

        def spy(frames, fps, serve=serve):
            seen.append(frames.numpy()[0, :, 0, 0, 0].astype(int))
            return serve(frames=frames, fps=fps)

        pipe.serve_trn = spy
        outs[pre] = pipe.synthesize(frames, fps, seed=3)
        assert outs[pre]["wave"].shape == (int(round(n / fps * pipe.sample_rate)),)
        assert outs[pre]["p_act_times"].min() > 0 and np.all(np.diff(outs[pre]["p_act_times"]) > 0)
        assert len(outs[pre]["windows"]) == 2
    plain, held = seen[0], seen[2]                                # the first window of each run
    np.testing.assert_array_equal(plain[:4], [1, 4, 7, 10])      # every third frame (8 fps)
    np.testing.assert_array_equal(held[:4], [1, 1, 1, 4])         # 6 held frames = 2 at 8 fps, then the video
    assert not np.allclose(outs[0.0]["wave"][:200], outs[0.25]["wave"][:200])
    with pytest.raises(ValueError, match="pre_roll must be in"):
        FoleyPipeline.from_saved_models(models, pre_roll=1.5)
    assert main(["generate", "x.mp4", "-o", "y.mp4", "--models", models, "--pre-roll", "-1"]) == 2
    assert "pre-roll -1.0: must be in [0, 1) seconds" in capsys.readouterr().err


@pytest.mark.parametrize("seconds,fps", [(3.2, 23.976), (7.5, 60.0), (10.0, 25.0), (4.5, 29.97), (2.0, 24.0)])
def test_windows_cover_the_clip_and_cross_fade_keeps_power(seconds, fps):
    from foleygan_tf.inference.pipeline import crossfade_weights, plan_windows

    n_frames = int(round(seconds * fps))
    duration = n_frames / fps
    window_s, sr = 2.97, 1000
    windows = plan_windows(n_frames, fps, duration, window_s, crossfade=0.5)
    firsts = [w[0] for w in windows]
    assert firsts[0] == 0 and firsts == sorted(set(firsts))
    assert firsts[-1] / fps + window_s >= duration - 1e-9                  # the last window reaches the end
    if duration <= window_s:
        assert windows == [(0, n_frames)]
    for (f0, _), (f1, _) in zip(windows, windows[1:]):
        assert (f0 + window_s * fps) - f1 >= 0.5 * fps - 1                   # overlap ≥ the cross-fade
    total = int(round(duration * sr))
    starts = [int(round(f / fps * sr)) for f in firsts]
    length = int(round(window_s * sr))
    power = np.zeros(total)
    for start, (offset, w) in zip(starts, crossfade_weights(starts, length, total, int(0.5 * sr))):
        assert offset >= start and offset + len(w) <= start + length         # inside its window
        power[offset: offset + len(w)] += w.astype(np.float64) ** 2
    np.testing.assert_allclose(power, 1.0, atol=1e-6)                        # Σ w² = 1 everywhere


def test_errors_are_one_line_and_never_touch_the_input(models, videos, tmp_path, capsys, monkeypatch):
    a, _ = videos
    digest = sha(a)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 10)
    cases = [
        (["generate", str(junk), "-o", str(tmp_path / "j.mp4"), "--models", models], "not a readable video"),
        (["generate", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "m.mp4"), "--models", models], "no such"),
        (["generate", a, "-o", a, "--models", models], "refusing to overwrite"),
        (["generate", a, "-o", str(tmp_path / "c.mp4"), "--models", models, "--class", "banjo"], "unknown class"),
        (["generate", a, "-o", str(tmp_path / "n.mp4"), "--models", str(tmp_path)], "no SavedModel"),
    ]
    for argv, words in cases:
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert err and words in err[-1] and err[-1].startswith("foleygan: error:"), (argv, err)
        assert "Traceback" not in "\n".join(err)
    assert sha(a) == digest
    assert not (tmp_path / "j.mp4").exists() and not (tmp_path / "c.mp4").exists()
    import foleygan_tf.commands.options as options

    monkeypatch.setattr(options, "DEFAULT_MODELS", str(tmp_path / "no_default"))
    assert main(["generate", a, "-o", str(tmp_path / "d.mp4")]) == 2
    err = capsys.readouterr().err.strip()
    assert "no default models" in err and "--models" in err and "\n" not in err
    # in a batch, a bad video is reported and the good ones are still written
    assert main(["generate", str(junk), a, "-o", str(tmp_path / "batch"), "--models", models, "--quiet"]) == 2
    assert (tmp_path / "batch" / "long_2997.mp4").exists() and not (tmp_path / "batch" / "junk.mp4").exists()


@pytest.mark.slow
@pytest.mark.parametrize("seconds", [1.0, 3.0, 7.5])
@pytest.mark.parametrize("fps", [Fraction(24), Fraction(30000, 1001), Fraction(60)])
def test_audio_duration_equals_video_duration(models, tmp_path, seconds, fps):
    from foleygan_tf.inference.pipeline import FoleyPipeline

    inp = tmp_path / "in.mp4"
    write_silent_video(inp, seconds, fps)
    r = FoleyPipeline.from_saved_models(models).generate(inp, tmp_path / "out.mp4", seed=1, wav=True)
    _check_output(inp, tmp_path / "out.mp4", wav=r["wav"])


def test_trn_and_generator_must_share_classes_and_spectrogram_settings():
    """FoleyPipeline refuses a TRN export whose S_act is not the generator's image (another
    encoding, geometry or class list) in one line; decode-only settings may differ."""
    from foleygan_tf.config import get_preset
    from foleygan_tf.inference.pipeline import check_compatible

    cfg = get_preset("tiny")
    audio = cfg.to_dict()["audio"]
    names = list(cfg.class_names)
    trn = {"class_names": names, "config": {"audio": dict(audio)}}
    check_compatible(trn, {"class_names": names, "config": {"audio": dict(audio, lms_refine_iters=0)}})
    with pytest.raises(ValueError) as err:
        check_compatible(trn, {"class_names": names, "config": {"audio": dict(audio, encoding="stft")}}, "a/trn", "a/gen")
    msg = str(err.value)
    assert "audio.encoding 'lms' vs 'stft'" in msg and "a/trn" in msg and "a/gen" in msg and "\n" not in msg
    with pytest.raises(ValueError, match="different classes"):
        check_compatible(trn, {"class_names": names[::-1], "config": {"audio": dict(audio)}})
    # exports without a config: image size and sample rate only
    check_compatible({"class_names": names, "image_size": 64, "sample_rate": 689},
                     {"class_names": names, "image_size": 64, "sample_rate": 689})
    with pytest.raises(ValueError, match="audio.image_size 64 vs 128"):
        check_compatible({"class_names": names, "image_size": 64, "sample_rate": 689},
                         {"class_names": names, "image_size": 128, "sample_rate": 689})


# ---- the class per shot ----------------------------------------------------------------------------

def test_pool_shot_probs_and_cut_masks():
    from foleygan_tf.inference.pipeline import class_segments, cut_masks, describe_classes, pool_shot_probs

    pooled = pool_shot_probs([(0, 8, [1.0, 0.0]), (0, 3, [0.0, 1.0]), (1, 2, [1.0, 0.0]), (1, 7, [0.5, 0.5])], 2)
    np.testing.assert_allclose(pooled, [[8 / 11, 3 / 11], [5.5 / 9, 3.5 / 9]])   # weighted by the parts' frames
    with pytest.raises(ValueError, match="every shot"):
        pool_shot_probs([(0, 8, [1.0, 0.0])], 2)
    masks = cut_masks(200, [60, 140], 20)
    np.testing.assert_allclose((masks.astype(np.float64) ** 2).sum(0), 1.0, atol=1e-6)
    np.testing.assert_array_equal(masks[:, :50], [[1] * 50, [0] * 50, [0] * 50])
    np.testing.assert_allclose(masks[:, 70:130], [[0] * 60, [1] * 60, [0] * 60], atol=1e-7)
    shots = [{"start": 0.0, "end": 2.0, "class_name": "rain"}, {"start": 2.0, "end": 3.0, "class_name": "rain"},
             {"start": 3.0, "end": 5.0, "class_name": "thunder"}]
    segments = class_segments(shots)
    assert [(s["start"], s["end"], s["class_name"], s["shots"]) for s in segments] == [
        (0.0, 3.0, "rain", 2), (3.0, 5.0, "thunder", 1)]
    assert describe_classes(segments) == "rain → thunder (3 shots)"
    assert describe_classes(segments[:1]) == "rain (2 shots)"


@pytest.fixture(scope="module")
def scenes():
    """Synthetic rain (8 s) and typing (4 s) scenes, 32 px at 24 fps, and their mean colours."""
    from foleygan_tf.data.synth import ClipSpec, render_clip

    rain = render_clip(ClipSpec("unused", "rain", 0, 0, 8.0, Fraction(24), 32)).frames
    typing = render_clip(ClipSpec("unused", "typing", 0, 0, 4.0, Fraction(24), 32)).frames
    return rain, typing


def stub_mtrn(pipe, scenes, probs_of=None):
    """The MTRN's class probabilities replaced by those of one that tells the scenes apart (rain vs
    typing by each frame's nearest mean colour; ``probs_of(share of typing frames, call number)``);
    P_act and S_act stay the TRN's. Returns the per-window probabilities it gave."""
    import tensorflow as tf

    means = [s.reshape(-1, 3).mean(0) for s in scenes]
    rain, typing = pipe.class_index("rain"), pipe.class_index("typing")

    def default(share, _):
        p = np.full(len(pipe.class_names), 0.1 / len(pipe.class_names))
        p[rain] += 0.9 * (1 - share)
        p[typing] += 0.9 * share
        return p

    probs_of = probs_of or default
    given, serve = [], pipe.serve_trn

    def stub(frames, fps):
        out = dict(serve(frames=frames, fps=fps))
        colours = frames.numpy()[0].reshape(frames.shape[1], -1, 3).mean(1)
        share = np.mean([np.argmin([np.abs(c - m).sum() for m in means]) for c in colours])
        given.append(probs_of(share, len(given)))
        out["class_probs"] = tf.constant(given[-1][None], tf.float32)
        return out

    pipe.serve_trn = stub
    return given


def spy_generator(pipe):
    """Record every row of G's class input and its waveform."""
    calls, serve = [], pipe.serve_gen

    def spy(z, class_probs, action_spectrogram, action_curve):
        out = serve(z=z, class_probs=class_probs, action_spectrogram=action_spectrogram, action_curve=action_curve)
        calls.extend(zip(class_probs.numpy(), out["waveform"].numpy()))
        return out

    pipe.serve_gen = spy
    return calls


def test_class_changes_at_the_cut_between_two_scenes(models, scenes, tf):
    """4 s of rain then 4 s of typing: two shots, the cut at 4 s; G gets each shot's pooled
    probabilities (a tiny-preset G: gan.class_source = mtrn) or its one-hot class (a G trained on
    labels); a window across the cut is rendered once per shot; P_act does not depend on it."""
    from foleygan_tf.inference.pipeline import FoleyPipeline

    frames = np.concatenate([scenes[0][:96], scenes[1]])
    pipe = FoleyPipeline.from_saved_models(models)
    given = stub_mtrn(pipe, scenes)
    calls = spy_generator(pipe)
    got = pipe.synthesize(frames, 24.0, seed=1)
    assert got["classes"] == "rain → typing (2 shots)" and got["class_source"] == "mtrn"
    assert [(s["class_name"], s["start"], s["end"]) for s in got["shots"]] == [("rain", 0.0, 4.0), ("typing", 4.0, 8.0)]
    n, cut = len(got["windows"]), 96 + 6                                     # the cut, after the 6-frame pre-roll
    across = sum(first < cut < stop for first, stop in got["windows"])
    # the MTRN on every window, then again on each side of the cut of a window across it
    assert n == 4 and across >= 1 and len(given) == n + 2 * across and len(calls) == n + across
    window_classes = [pipe.class_names[int(np.argmax(p))] for p in given[:n]]
    assert window_classes[0] == "rain" and window_classes[-1] == "typing"
    pooled = [s["class_probs"] for s in got["shots"]]
    assert pooled[0][pipe.class_index("rain")] > 0.9 and pooled[1][pipe.class_index("typing")] > 0.9
    rows = np.stack([c[0] for c in calls])
    assert all(min(np.abs(r - p).max() for p in pooled) < 1e-6 for r in rows)
    assert {int(r.argmax()) for r in rows} == {pipe.class_index("rain"), pipe.class_index("typing")}
    calls.clear()
    pipe.class_source = "label"
    labelled = pipe.synthesize(frames, 24.0, seed=1)
    eye = np.eye(len(pipe.class_names))
    assert all(any(np.array_equal(r, eye[pipe.class_index(c)]) for c in ("rain", "typing")) for r, _ in calls)
    np.testing.assert_array_equal(labelled["p_act"], got["p_act"])
    assert not np.allclose(labelled["wave"], got["wave"])


def test_window_across_a_cut_is_spliced_at_the_cut(models, scenes, tf):
    """One window holding a cut at 1.25 s: the track is the first shot's render up to the cut and
    the second's after it (an equal-power fade of CUT_FADE_S between)."""
    from foleygan_tf.inference.pipeline import CUT_FADE_S, FoleyPipeline

    frames = np.concatenate([scenes[0][:30], scenes[1][:36]])
    pipe = FoleyPipeline.from_saved_models(models, pre_roll=0.0)
    stub_mtrn(pipe, scenes)
    calls = spy_generator(pipe)
    got = pipe.synthesize(frames, 24.0, seed=2)
    assert len(got["windows"]) == 1 and len(calls) == 2 and got["classes"] == "rain → typing (2 shots)"
    first, second = calls[0][1], calls[1][1]
    cut, half = int(round(1.25 * pipe.sample_rate)), int(round(CUT_FADE_S * pipe.sample_rate)) // 2 + 1
    wave = got["wave"]
    np.testing.assert_array_equal(wave[: cut - half], first[: cut - half])
    np.testing.assert_allclose(wave[cut + half:], second[cut + half: len(wave)], atol=1e-7)
    assert np.abs(first - second).max() > 1e-2 * np.abs(first).max()             # two different renders


def test_one_scene_keeps_one_class_and_class_forces_one(models, scenes, tf):
    """8 s of one scene whose windows' argmax flips window to window: one class for the whole
    video, the same class input for every window; --class forces one class (one-hot) everywhere,
    also across a cut."""
    from foleygan_tf.inference.pipeline import FoleyPipeline

    pipe = FoleyPipeline.from_saved_models(models)
    rain, typing = pipe.class_index("rain"), pipe.class_index("typing")

    def flipping(share, k):
        p = np.zeros(len(pipe.class_names))
        p[rain], p[typing] = (0.6, 0.4) if k % 2 == 0 else (0.35, 0.65)
        return p

    given = stub_mtrn(pipe, scenes, flipping)
    calls = spy_generator(pipe)
    got = pipe.synthesize(scenes[0], 24.0, seed=1)
    assert {int(np.argmax(p)) for p in given} == {rain, typing}               # the windows disagree
    assert got["classes"] == "typing" and len(got["shots"]) == 1 and len(calls) == len(got["windows"]) == 4
    assert all(np.array_equal(r, calls[0][0]) for r, _ in calls)
    frames = [stop - first for first, stop in got["windows"]]
    np.testing.assert_allclose(calls[0][0], np.average(given, axis=0, weights=frames), atol=1e-6)
    calls.clear()
    forced = pipe.synthesize(np.concatenate([scenes[0][:96], scenes[1]]), 24.0, seed=1, class_name="clock")
    assert forced["classes"] == "clock" and forced["class_source"] == "user" and len(forced["shots"]) == 1
    assert len(calls) == len(forced["windows"])
    assert all(np.array_equal(r, np.eye(len(pipe.class_names))[pipe.class_index("clock")]) for r, _ in calls)


def test_plot_shows_the_class_timeline(models, scenes, tmp_path, tf):
    from foleygan_tf.data.synth import write_mp4
    from foleygan_tf.inference.batch import format_result
    from foleygan_tf.inference.pipeline import FoleyPipeline

    video = tmp_path / "two scenes.mp4"
    write_mp4(str(video), np.concatenate([scenes[0][:96], scenes[1]]), Fraction(24), np.zeros(8 * 44100, np.float32))
    pipe = FoleyPipeline.from_saved_models(models)
    stub_mtrn(pipe, scenes)
    r = pipe.generate(video, tmp_path / "out.mp4", seed=0, plot=True)
    assert r["classes"] == "rain → typing (2 shots)"
    assert [(s["class_name"], s["shots"]) for s in r["segments"]] == [("rain", 1), ("typing", 1)]
    png = (tmp_path / "out.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[20:24], "big") > 400                          # the class band under it (360 px without)
    assert "(rain → typing (2 shots), 8.00 s" in format_result(str(video), r)
