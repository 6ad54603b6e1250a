"""`foleygan prepare`: AFD folder / CSV → TFRecord shards; bad files skipped; atomic, resumable."""

import glob
import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction

import numpy as np
import pytest

from foleygan_tf.data.prepare import prepare_dataset, sha256_file, split_of
from foleygan_tf.data.synth import synthesize_dataset, write_mp4

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BROKEN = {
    "clock/zero.mp4": "empty file",
    "clock/truncated.mp4": "not a readable video",
    "car/notes.mp4": "not a readable video",
    "fire/silent.mp4": "no audio track",
    "rain/short.mp4": "too short",
}


def make_broken_files(root):
    import av

    open(os.path.join(root, "clock", "zero.mp4"), "wb").close()
    good = sorted(glob.glob(os.path.join(root, "clock", "clock_*.mp4")))[0]
    data = open(good, "rb").read()
    with open(os.path.join(root, "clock", "truncated.mp4"), "wb") as f:
        f.write(data[: len(data) * 6 // 10])
    with open(os.path.join(root, "car", "notes.mp4"), "w") as f:
        f.write("this is a text file, not a video\n" * 20)
    with av.open(os.path.join(root, "fire", "silent.mp4"), "w") as c:
        s = c.add_stream("libx264", rate=24)
        s.width = s.height = 32
        s.pix_fmt = "yuv420p"
        for k in range(72):
            for p in s.encode(av.VideoFrame.from_ndarray(np.full((32, 32, 3), k, np.uint8), format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    write_mp4(os.path.join(root, "rain", "short.mp4"), np.zeros((10, 32, 32, 3), np.uint8), Fraction(24),
              np.zeros(int(44100 * 10 / 24), np.float32))


def parse_all(path):
    import tensorflow as tf

    return [tf.train.Example.FromString(r.numpy()) for r in tf.data.TFRecordDataset(path)]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("afd"))
    synthesize_dataset(root, clips_per_class=2, seconds=3.0, fps=24, size=48, seed=2, workers=2, progress=False)
    make_broken_files(root)
    return root


def test_bad_files_skipped_rest_written(source, tmp_path, tiny_cfg):
    out = str(tmp_path / "shards")
    m = prepare_dataset(source, out, tiny_cfg, shard_size=4, progress=False)
    reasons = {s["path"]: s["reason"] for s in m["skipped"]}
    assert set(reasons) == set(BROKEN)
    for path, why in BROKEN.items():
        assert why in reasons[path], reasons[path]
    splits = m["splits"]
    assert splits["train"]["clips"] + splits["test"]["clips"] == 24
    assert splits["train"]["examples"] + splits["test"]["examples"] == 24     # one 3 s window per clip
    assert 0.5 < splits["train"]["clips"] / 24 < 0.97
    from foleygan_tf.audio import fit_length, load_audio

    total, compared = 0, 0
    seen_ids = {}
    for split in ("train", "test"):
        assert sum(splits[split]["class_counts"].values()) == splits[split]["examples"]
        for shard in splits[split]["shards"]:
            path = os.path.join(out, shard["file"])
            assert sha256_file(path) == shard["sha256"]
            examples = parse_all(path)
            assert len(examples) == shard["examples"]
            total += len(examples)
            for ex in examples:
                f = ex.features.feature
                cid = f["clip_id"].bytes_list.value[0].decode()
                assert split_of(cid, tiny_cfg.train_fraction) == split
                seen_ids.setdefault(cid, set()).add(split)
                assert len(f["frames"].bytes_list.value) == tiny_cfg.video.frames_per_clip
                wave = np.frombuffer(f["wave"].bytes_list.value[0], "<f4")
                assert wave.shape == (tiny_cfg.audio.clip_samples,) and np.all(np.isfinite(wave))
                ref = fit_length(load_audio(os.path.join(source, cid), tiny_cfg.audio.sample_rate),
                                 tiny_cfg.audio.clip_samples)
                if np.std(ref) > 1e-3:   # (the tiny preset keeps < 345 Hz: clicks nearly vanish)
                    assert np.corrcoef(ref, wave)[0, 1] > 0.9
                    compared += 1
                assert f["label"].int64_list.value[0] == tiny_cfg.class_names.index(cid.split("/")[0])
                side = json.load(open(os.path.join(source, cid[:-4] + ".json")))
                assert np.allclose(f["events"].float_list.value, side["events"], atol=1e-5)
    assert total == 24 and all(len(s) == 1 for s in seen_ids.values())
    assert compared >= 6
    assert not [f for f in os.listdir(out) if ".tmp-" in f]


def test_rerun_reuses_shards(source, tmp_path, tiny_cfg):
    out = str(tmp_path / "shards")
    first = prepare_dataset(source, out, tiny_cfg, shard_size=8, progress=False)
    second = prepare_dataset(source, out, tiny_cfg, shard_size=8, progress=False)
    n = len(first["splits"]["train"]["shards"]) + len(first["splits"]["test"]["shards"])
    assert second["last_run"]["shards_reused"] == n and second["last_run"]["shards_written"] == 0
    assert second["splits"] == first["splits"] and second["skipped"] == first["skipped"]
    # a corrupted shard is detected by its checksum and rewritten
    victim = os.path.join(out, first["splits"]["train"]["shards"][0]["file"])
    with open(victim, "r+b") as f:
        f.seek(20)
        f.write(b"\x00\x01\x02")
    third = prepare_dataset(source, out, tiny_cfg, shard_size=8, progress=False)
    assert third["last_run"]["shards_written"] == 1
    assert third["splits"] == first["splits"]


def test_windows_hop_and_events(tmp_path, tiny_cfg):
    src = str(tmp_path / "src")
    sidecars = synthesize_dataset(src, 1, seconds=5.0, fps=30, size=32, seed=4, classes=["typing"], progress=False)
    m = prepare_dataset(src, str(tmp_path / "out"), tiny_cfg, hop_seconds=1.0, progress=False)
    split = "train" if m["splits"]["train"]["examples"] else "test"
    assert m["splits"][split]["examples"] == 3          # starts 0, 1, 2 s
    examples = parse_all(os.path.join(str(tmp_path / "out"), m["splits"][split]["shards"][0]["file"]))
    events = np.array(sidecars[0]["events"])
    for ex in examples:
        f = ex.features.feature
        start = f["window_start"].float_list.value[0]
        want = events[(events >= start) & (events < start + 3.0)] - start
        assert np.allclose(f["events"].float_list.value, want, atol=1e-4)
        assert f["has_events"].int64_list.value[0] == 1
    assert sorted(e.features.feature["window_start"].float_list.value[0] for e in examples) == [0.0, 1.0, 2.0]


def test_csv_manifest(source, tmp_path, tiny_cfg):
    csv_path = tmp_path / "list.csv"
    clips = sorted(glob.glob(os.path.join(source, "*", "*_0000.mp4")))[:4]
    lines = ["path,label,start,end"]
    for c in clips:
        lines.append(f"{os.path.relpath(c, tmp_path)},{os.path.basename(os.path.dirname(c))},0.5,")
    lines.append(f"{os.path.relpath(os.path.join(source, 'clock', 'zero.mp4'), tmp_path)},clock,,")
    csv_path.write_text("\n".join(lines) + "\n")
    m = prepare_dataset(str(csv_path), str(tmp_path / "out"), tiny_cfg, progress=False)
    assert m["splits"]["train"]["clips"] + m["splits"]["test"]["clips"] == 4
    # 2.5 s segments: one padded window each
    assert m["splits"]["train"]["examples"] + m["splits"]["test"]["examples"] == 4
    assert len(m["skipped"]) == 1 and "empty" in m["skipped"][0]["reason"]


def test_csv_segments_of_one_video_decode_it_once(tmp_path, tiny_cfg, monkeypatch):
    """Segments of one long video (start/end rows) decode the file once per worker, and give the
    same windows as a segment prepared on its own."""
    import foleygan_tf.video.frames as frames_module

    src = str(tmp_path / "src")
    synthesize_dataset(src, 1, seconds=9.0, fps=24, size=32, seed=6, classes=["typing"], progress=False)
    video = os.path.relpath(glob.glob(os.path.join(src, "typing", "*.mp4"))[0], tmp_path)
    calls = []
    real_read = frames_module.read_frames
    monkeypatch.setattr(frames_module, "read_frames", lambda *a, **k: calls.append(a[0]) or real_read(*a, **k))

    def prepare(rows, out):
        (tmp_path / f"{out}.csv").write_text("\n".join(["path,label,start,end", *rows]) + "\n")
        m = prepare_dataset(str(tmp_path / f"{out}.csv"), str(tmp_path / out), tiny_cfg, progress=False)
        return {ex.features.feature["clip_id"].bytes_list.value[0].decode(): ex
                for split in ("train", "test") for shard in m["splits"][split]["shards"]
                for ex in parse_all(os.path.join(str(tmp_path / out), shard["file"]))}

    together = prepare([f"{video},typing,{s},{s + 3}" for s in (0, 3, 6)], "together")
    assert len(together) == 3 and len(calls) == 1
    alone = prepare([f"{video},typing,3,6"], "alone")
    assert len(calls) == 2          # a new run decodes again: nothing is kept between runs
    (cid, ex), = alone.items()
    for key in ("frames", "wave"):
        assert ex.features.feature[key] == together[cid].features.feature[key]


def test_unknown_class_is_a_one_line_error(tmp_path, tiny_cfg, capsys):
    from foleygan_tf.cli import main

    (tmp_path / "data" / "dog").mkdir(parents=True)
    assert main(["prepare", str(tmp_path / "data"), str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown class 'dog'" in err and len(err.splitlines()) == 1


def test_kill_midway_then_resume(source, tmp_path, tiny_cfg):
    out = str(tmp_path / "shards")
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, "-m", "foleygan_tf.cli", "prepare", source, out, "--preset", "tiny",
           "--shard-size", "1", "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if glob.glob(os.path.join(out, "*.tfrecord")):
            break
        time.sleep(0.01)
    assert proc.poll() is None, "prepare finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not os.path.exists(os.path.join(out, "manifest.json"))
    before = glob.glob(os.path.join(out, "*.tfrecord"))
    assert 1 <= len(before) < 29
    for path in before:                     # whatever the kill left parses completely
        parse_all(path)
    # shards whose progress record was written before the kill are reused; a shard renamed but
    # not yet recorded is rewritten (same content)
    recorded = len(glob.glob(os.path.join(out, ".progress", "*.tfrecord.json")))
    m = prepare_dataset(source, out, tiny_cfg, shard_size=1, progress=False)
    assert m["last_run"]["shards_reused"] == recorded
    assert m["last_run"]["shards_written"] == 29 - recorded
    shards = m["splits"]["train"]["shards"] + m["splits"]["test"]["shards"]
    assert len(shards) == 29                # 24 good + 5 bad clips, one clip per shard
    assert sum(len(parse_all(os.path.join(out, s["file"]))) for s in shards) == 24
    assert len(m["skipped"]) == 5
    assert sorted(glob.glob(os.path.join(out, "*.tfrecord"))) == sorted(os.path.join(out, s["file"]) for s in shards)
    assert not [f for f in os.listdir(out) if ".tmp-" in f]
