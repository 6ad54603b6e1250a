"""evaluation.video_sync: `foleygan generate`'s own path (FoleyPipeline.synthesize on video files)
scored against synth-data sidecars, with the bundled default models."""

import json
import os

import numpy as np
import pytest

from foleygan_tf.evaluation.video_sync import event_videos, format_video_sync, main, video_sync

DEFAULT_MODELS = os.path.join(os.path.dirname(__file__), "..", "saved_models", "default")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    from foleygan_tf.data.synth import synthesize_dataset

    root = tmp_path_factory.mktemp("video_sync")
    synthesize_dataset(str(root), 1, seconds=4.0, fps="30000/1001", size=32, seed=3,
                       classes=["footstep", "gunshot", "rain"], progress=False)
    return root


def test_event_videos_keep_clips_with_events_and_name_bad_paths(clips, tmp_path):
    got = event_videos([clips])
    assert [os.path.basename(v) for v in got] == ["footstep_0000.mp4", "gunshot_0000.mp4"]   # rain: no events
    assert event_videos([got[1], got[0], got[0]]) == got
    with pytest.raises(ValueError, match="missing.mp4: no such video"):
        event_videos([tmp_path / "missing.mp4"])
    orphan = tmp_path / "orphan.mp4"
    orphan.write_bytes(open(got[0], "rb").read())
    with pytest.raises(ValueError, match="orphan.mp4: no sidecar orphan.json"):
        event_videos([orphan])


def test_video_sync_pools_the_per_video_scores(clips, tf, capsys):
    from foleygan_tf.evaluation.sync import detect_onsets, onset_scores
    from foleygan_tf.inference.pipeline import FoleyPipeline
    from foleygan_tf.video.frames import read_frames

    videos = event_videos([clips])
    pipe = FoleyPipeline.from_saved_models(DEFAULT_MODELS)
    res = video_sync(pipe, videos, seed=2)
    with open(os.path.join(DEFAULT_MODELS, "trn", "assets", "foleygan_trn.json")) as f:
        rate = json.load(f)["frame_rate"]                  # the bundled TRN's training rate (24 fps)
    assert rate > 0 and res["trn_fps"] == rate and [r["class_name"] for r in res["videos"]] == ["footstep", "gunshot"]
    for i, (r, v) in enumerate(zip(res["videos"], videos)):
        with open(v[:-4] + ".json") as f:
            events = json.load(f)["events"]
        assert r["num_reference"] == len(events) > 0 and r["fps"] == pytest.approx(30000 / 1001, rel=1e-6)
        frames, fps = read_frames(v, frame_size=pipe.frame_size)        # what generate() synthesises
        assert r["seed"] == 2 + i                                   # one z per video, seed + its index
        want = onset_scores(events, detect_onsets(pipe.synthesize(frames, fps, seed=2 + i)["wave"], pipe.sample_rate))
        assert (r["num_matched"], r["num_estimated"]) == (want["num_matched"], want["num_estimated"])
    o = res["overall"]
    for key in ("num_reference", "num_estimated", "num_matched"):
        assert o[key] == sum(r[key] for r in res["videos"]) == sum(c[key] for c in res["per_class"].values())
    if o["num_estimated"] and o["num_matched"]:
        assert o["precision"] == o["num_matched"] / o["num_estimated"]
        assert o["f1"] == pytest.approx(2 * o["precision"] * o["recall"] / (o["precision"] + o["recall"]))
    assert "2 videos" in format_video_sync(res) and f"TRN frames at {rate:g} fps" in format_video_sync(res)
    # the CLI, with the TRN on the videos' own rate (the pre-fix behaviour, an ablation)
    out = clips / "native.json"
    assert main([DEFAULT_MODELS, str(clips), "--native-fps", "--seed", "2", "--one-seed", "--json", str(out)]) == 0
    assert "TRN frames at the videos' own rate" in capsys.readouterr().out
    native = json.loads(out.read_text())
    assert native["trn_fps"] == 0.0 and native["overall"]["num_reference"] == o["num_reference"]
    assert [r["seed"] for r in native["videos"]] == [2, 2]
    assert np.isfinite(native["overall"]["f1"])
