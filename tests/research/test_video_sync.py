"""research.sync.video_sync: `foleygan generate`'s own path (FoleyPipeline.synthesize on video files)
scored against synth-data sidecars, with the bundled default models."""

import json
import os

import pytest

from foleygan_tf.commands.options import DEFAULT_MODELS
from research.sync.video_sync import event_videos, format_video_sync, main, split_videos, video_sync


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    from foleygan_tf.data.synth import synthesize_dataset

    root = tmp_path_factory.mktemp("video_sync")
    synthesize_dataset(str(root), 1, seconds=4.0, fps="30000/1001", size=32, seed=3,
                       classes=["footstep", "gunshot", "rain"], progress=False)
    return root


@pytest.fixture(scope="module")
def shards(clips, tmp_path_factory):
    """The clips prepared at the tiny preset (80/20 split by clip)."""
    from foleygan_tf.cli import main as cli

    out = tmp_path_factory.mktemp("video_sync_shards") / "shards"
    assert cli(["prepare", str(clips), str(out), "--preset", "tiny", "--quiet"]) == 0
    return out


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


def test_split_videos_keeps_the_clips_of_a_split(clips, shards):
    """`prepare` names a window's clip by its path under the data folder; the split rule decides."""
    from foleygan_tf.data.prepare import split_of

    videos = sorted(str(v) for v in clips.rglob("*.mp4"))
    want = [v for v in videos if split_of(os.path.relpath(v, clips), 0.8) == "test"]
    assert split_videos(videos, str(shards)) == want and 0 < len(want) < len(videos)
    assert split_videos(videos, str(shards), "train") == [v for v in videos if v not in want]


def test_video_sync_pools_the_per_video_scores(clips, shards, tf, capsys, tmp_path):
    from foleygan_tf.audio.onsets import detect_onsets, onset_scores
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
    # the CLI on the test split's videos only (footstep_0000; gunshot_0000 is a train clip), one z seed
    out = tmp_path / "test_split.json"
    capsys.readouterr()
    assert main([DEFAULT_MODELS, str(clips), "--shards", str(shards), "--seed", "2", "--one-seed",
                 "--json", str(out)]) == 0
    assert "1 videos" in capsys.readouterr().out
    got = json.loads(out.read_text())
    assert [os.path.basename(r["video"]) for r in got["videos"]] == ["footstep_0000.mp4"]
    assert [r["seed"] for r in got["videos"]] == [2]
    first = res["videos"][0]                                         # the same video with the same z
    assert (got["overall"]["num_matched"], got["overall"]["num_estimated"]) == (first["num_matched"],
                                                                                 first["num_estimated"])
