"""`foleygan survey build`: every model's track and the two controls per clip as H.264 + AAC at one
loudness per clip, opaque ids, the class per clip, resuming an interrupted build, one-line errors;
the BS.1770 loudness measure."""

import glob
import json
import math
import os
import re
import shutil

import numpy as np
import pytest

from foleygan_tf.cli import main
from tests.helpers.survey import DEFAULT_MODELS, make_clips, study_template
from tests.test_generate import write_silent_video


def _streams(path):
    import av

    with av.open(path) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        return {"video": v.codec_context.name, "pix_fmt": v.codec_context.format.name, "audio": a.codec_context.name,
                "rate": a.rate, "channels": a.codec_context.channels,
                "seconds": float(v.duration * v.time_base) if v.duration else None}


def _one_line_error(capsys):
    err = capsys.readouterr().err.strip()
    assert err.startswith("foleygan: error:") and err.count("\n") == 0, err
    return err


# ---- the loudness measure ------------------------------------------------------------------------

def test_integrated_loudness_follows_bs1770_and_gates_silence():
    from foleygan_tf.survey.loudness import clip_gains, integrated_loudness, sample_peak_dbfs

    sr = 44100
    t = np.arange(3 * sr) / sr
    sine = 0.5 * np.sin(2 * np.pi * 1000 * t)
    assert integrated_loudness(sine, sr) == pytest.approx(-3.01 + 20 * math.log10(0.5), abs=0.05)
    with_silence = np.concatenate([sine, np.zeros(3 * sr)])
    # the silent blocks are gated out (only the blocks straddling the end count partly)
    assert integrated_loudness(with_silence, sr) == pytest.approx(integrated_loudness(sine, sr), abs=0.3)
    rms_drop = 10 * math.log10(np.mean(sine ** 2) / np.mean(with_silence ** 2))
    assert rms_drop == pytest.approx(3.01, abs=0.01)          # where plain RMS would move
    assert integrated_loudness(np.zeros(sr), sr) == -math.inf
    # K-weighting: a 100 Hz tone reads quieter than a 3 kHz tone of the same amplitude
    assert integrated_loudness(0.5 * np.sin(2 * np.pi * 100 * t), sr) < integrated_loudness(
        0.5 * np.sin(2 * np.pi * 3000 * t), sr) - 3

    click = np.zeros(2 * sr)
    click[sr] = 0.9
    click += 0.001 * np.sin(2 * np.pi * 440 * np.arange(2 * sr) / sr)
    tracks = {"sine": sine[: 2 * sr], "click": click, "silent": np.zeros(2 * sr)}
    levels = clip_gains(tracks, sr)
    assert levels["level_lufs"] < -23.0                       # the click's peak lowered the clip's level
    out = {n: w * 10 ** (levels["gain_db"][n] / 20) for n, w in tracks.items()}
    assert sample_peak_dbfs(out["click"]) == pytest.approx(-1.0, abs=1e-6)
    assert integrated_loudness(out["sine"], sr) == pytest.approx(levels["level_lufs"], abs=0.01)
    assert integrated_loudness(out["click"], sr) == pytest.approx(levels["level_lufs"], abs=0.01)
    assert levels["loudness"]["silent"] is None and levels["gain_db"]["silent"] == 0.0


# ---- the built study -----------------------------------------------------------------------------

def test_build_makes_browser_playable_conditions_at_one_loudness_under_opaque_ids(tmp_path_factory):
    from foleygan_tf.audio.io import load_audio
    from foleygan_tf.survey.loudness import integrated_loudness

    study = study_template(tmp_path_factory)
    manifest = json.load(open(os.path.join(study, "manifest.json")))
    assert manifest["status"] == "complete" and [m["name"] for m in manifest["models"]] == ["a", "b"]
    assert manifest["loudness"]["target_lufs"] == -23.0 and "BS.1770" in manifest["loudness"]["measure"]
    clips = {c["key"]: c for c in manifest["clips"]}
    assert {k: (c["class"], c["class_source"]) for k, c in clips.items()} == {
        "footstep_0000": ("footstep", "sidecar"), "clock_0000": ("clock", "sidecar")}
    ids = []
    for key, clip in clips.items():
        other = next(k for k in clips if k != key)
        conds = {c["condition"]: c for c in clip["conditions"]}
        assert list(conds) == ["a", "b", "reference", "anchor"]
        assert [c["kind"] for c in conds.values()] == ["model", "model", "reference", "anchor"]
        assert conds["anchor"]["source"] == f"clip {other}'s recorded track"
        assert conds["a"]["class_name"] == clip["class"] and conds["a"]["class_source"] == "user"
        own = load_audio(clip["video"], 44100)
        measured = {}
        for name, cond in conds.items():
            ids.append(cond["id"])
            path = os.path.join(study, "media", cond["id"] + ".mp4")
            info = _streams(path)
            assert (info["video"], info["pix_fmt"], info["audio"], info["rate"], info["channels"]) == (
                "h264", "yuv420p", "aac", 44100, 1), (name, info)
            assert info["seconds"] == pytest.approx(clip["duration"], abs=0.05)
            wave = load_audio(path, 44100)
            assert len(wave) == pytest.approx(clip["duration"] * 44100, abs=2048)   # AAC frames
            measured[name] = integrated_loudness(wave, 44100)
            if name in ("reference", "anchor"):   # the recorded track itself, on the video's timeline
                source = own if name == "reference" else load_audio(clips[other]["video"], 44100)
                n = min(len(wave), len(source), 44100)
                assert np.corrcoef(wave[:n], source[:n])[0, 1] > 0.95, (key, name)
        # every condition of the clip at the clip's level (after AAC): within 0.5 LU
        assert max(measured.values()) - min(measured.values()) < 0.5, measured
        assert all(abs(v - clip["level_lufs"]) < 0.5 for v in measured.values()), measured
        assert clip["level_lufs"] <= -23.0 + 1e-9
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids) and len(set(ids)) == len(ids) == 8
    assert sorted(os.listdir(os.path.join(study, "media"))) == sorted(i + ".mp4" for i in ids)


def test_an_interrupted_build_resumes_without_redoing_work_and_keeps_edited_texts(tmp_path, capsys, monkeypatch):
    import foleygan_tf.survey.build as build
    from foleygan_tf.inference.pipeline import FoleyPipeline

    videos = make_clips(tmp_path / "clips", classes=("gunshot", "typing", "horse"), seed=11)
    study = str(tmp_path / "study")
    cmd = ["survey", "build", study, "--videos", *videos, "--models", DEFAULT_MODELS, "--quiet"]
    calls = {"synthesize": 0, "media": 0}
    synthesize, write_condition = FoleyPipeline.synthesize, build.write_condition

    def counting_synthesize(self, *args, **kwargs):
        calls["synthesize"] += 1
        return synthesize(self, *args, **kwargs)

    def dying_write_condition(*args, **kwargs):
        calls["media"] += 1
        if calls["media"] == 4:
            raise KeyboardInterrupt   # Ctrl-C while the second clip's media are written
        return write_condition(*args, **kwargs)

    monkeypatch.setattr(FoleyPipeline, "synthesize", counting_synthesize)
    monkeypatch.setattr(build, "write_condition", dying_write_condition)
    assert main(cmd) == 130
    manifest_path = os.path.join(study, "manifest.json")
    manifest = json.load(open(manifest_path))
    assert manifest["status"] == "building" and calls["synthesize"] == 3
    done = {p: os.stat(p).st_mtime_ns for p in glob.glob(os.path.join(study, "media", "*.mp4"))}
    assert len(done) == 3
    with pytest.raises(ValueError, match="not finished"):
        from foleygan_tf.survey.manifest import load_study

        load_study(study)
    manifest["texts"]["title"] = "Hörtest"
    manifest["texts"]["questions"][1]["text"] = "Passt der Ton zum Bild?"
    json.dump(manifest, open(manifest_path, "w"))
    plan = json.load(open(os.path.join(study, "build", "plan.json")))
    stale = os.path.join(study, "media", f".{plan['clips'][1]['ids']['anchor']}.mp4.tmp-99999999.mp4")
    open(stale, "wb").close()      # a temporary left by a killed process

    monkeypatch.setattr(build, "write_condition", write_condition)
    capsys.readouterr()
    assert main(cmd[:-1]) == 0
    out = capsys.readouterr().out
    assert "3 clips, 9 pages per participant" in out and "6 file(s) made" in out
    assert calls["synthesize"] == 3, "a finished track was generated again"
    assert all(os.stat(p).st_mtime_ns == t for p, t in done.items()), "a finished media file was rewritten"
    assert not os.path.exists(stale)
    manifest = json.load(open(manifest_path))
    assert manifest["status"] == "complete" and manifest["texts"]["title"] == "Hörtest"
    assert manifest["texts"]["questions"][1]["text"] == "Passt der Ton zum Bild?"
    assert {c["id"] for clip in manifest["clips"] for c in clip["conditions"]} == {
        i for clip in plan["clips"] for i in clip["ids"].values()}
    assert len(glob.glob(os.path.join(study, "media", "*.mp4"))) == 9

    assert main(cmd) == 0 and calls["synthesize"] == 3            # a finished study: nothing to do
    assert main(cmd[:-1] + ["--seed", "5", "--quiet"]) == 2
    err = _one_line_error(capsys)
    assert "plan.json" in err and "other seed" in err


def test_clips_without_sound_or_sidecar_get_the_option_or_predicted_class_and_a_generated_anchor(tmp_path):
    from foleygan_tf.survey.build import build_study

    videos = [str(tmp_path / f"silent{k}.mp4") for k in range(2)]
    for k, v in enumerate(videos):
        write_silent_video(v, 1.0 + 0.25 * k, 24)
    predicted = build_study(str(tmp_path / "predicted"), videos, [("m", DEFAULT_MODELS)], progress=False)
    assert predicted["items"] == 4            # per clip: the model and the anchor, no reference
    manifest = json.load(open(tmp_path / "predicted" / "manifest.json"))
    for clip, other in zip(manifest["clips"], manifest["clips"][::-1]):
        conds = {c["condition"]: c for c in clip["conditions"]}
        assert set(conds) == {"m", "anchor"}
        assert clip["class_source"] == "predicted by model m" and conds["m"]["class_source"] == "mtrn"
        assert clip["class"] == conds["m"]["class_name"]
        assert conds["anchor"]["source"] == f"clip {other['key']}'s track generated by model m"
        assert clip["duration"] == pytest.approx(1.0 if clip["key"] == "silent0" else 1.25, abs=0.05)

    build_study(str(tmp_path / "given"), videos, [("m", DEFAULT_MODELS)], class_name="rain", progress=False)
    manifest = json.load(open(tmp_path / "given" / "manifest.json"))
    for clip in manifest["clips"]:
        model = next(c for c in clip["conditions"] if c["kind"] == "model")
        assert (clip["class"], clip["class_source"]) == ("rain", "option")
        assert (model["class_name"], model["class_source"]) == ("rain", "user")


def test_build_refuses_bad_input_in_one_line(tmp_path, capsys):
    videos = make_clips(tmp_path / "clips", classes=("fire", "car"), seed=2)
    study = str(tmp_path / "study")
    base = ["survey", "build", study, "--quiet", "--models", DEFAULT_MODELS]
    assert main(base + ["--videos", videos[0]]) == 2
    assert "at least 2 videos" in _one_line_error(capsys)
    assert main(base + ["--videos", videos[0], str(tmp_path / "missing.mp4")]) == 2
    assert "missing.mp4" in _one_line_error(capsys)
    assert main(["survey", "build", study, "--quiet", "--videos", *videos, "--model", f"anchor={DEFAULT_MODELS}"]) == 2
    assert "'anchor'" in _one_line_error(capsys)
    assert main(["survey", "build", study, "--quiet", "--videos", *videos, "--models", str(tmp_path)]) == 2
    assert "no SavedModel" in _one_line_error(capsys)
    assert not os.path.exists(study)

    odd = tmp_path / "odd"
    odd.mkdir()
    shutil.copy(videos[0], odd / "clip.mp4")
    (odd / "clip.json").write_text(json.dumps({"class": "unicorn"}))
    assert main(base + ["--videos", str(odd / "clip.mp4"), videos[1]]) == 2
    err = _one_line_error(capsys)
    assert str(odd / "clip.json") in err and "'unicorn'" in err

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    assert main(["survey", "build", str(busy), "--quiet", "--models", DEFAULT_MODELS, "--videos", *videos]) == 2
    assert "not a study folder" in _one_line_error(capsys)
    assert os.listdir(busy) == ["notes.txt"]
