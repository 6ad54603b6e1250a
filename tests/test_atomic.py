"""foleygan_tf.atomic: the one place outputs are moved into place."""

import json
import os

import numpy as np
import pytest

from foleygan_tf import atomic


def test_atomic_path_replaces_only_on_success(tmp_path):
    out = tmp_path / "clip.mp4"
    out.write_text("old")
    with atomic.atomic_path(out) as tmp:
        assert tmp.endswith(".mp4") and os.path.dirname(tmp) == str(tmp_path) and ".clip.mp4.tmp-" in tmp
        open(tmp, "w").write("new")
        assert out.read_text() == "old"                      # not visible before the end
    assert out.read_text() == "new" and os.listdir(tmp_path) == ["clip.mp4"]
    with pytest.raises(RuntimeError):
        with atomic.atomic_path(out) as tmp:
            open(tmp, "w").write("half")
            raise RuntimeError("killed mid-write")
    assert out.read_text() == "new" and os.listdir(tmp_path) == ["clip.mp4"]
    with atomic.atomic_path(tmp_path / "m.weights.h5", suffix=".weights.h5") as tmp:
        assert tmp.endswith(".weights.h5")
        open(tmp, "w").write("weights")
    assert (tmp_path / "m.weights.h5").read_text() == "weights"


def test_write_json_converts_numpy_and_sorts_on_request(tmp_path):
    path = tmp_path / "a.json"
    atomic.write_json(path, {"b": np.float32(0.5), "a": np.arange(3), "c": np.int64(2), "d": np.bool_(True)},
                      sort_keys=True)
    text = path.read_text()
    assert json.loads(text) == {"a": [0, 1, 2], "b": 0.5, "c": 2, "d": True}
    assert text.index('"a"') < text.index('"b"') and text.endswith("\n")
    with pytest.raises(TypeError):
        atomic.write_json(tmp_path / "bad.json", {"x": object()})
    assert not (tmp_path / "bad.json").exists() and os.listdir(tmp_path) == ["a.json"]


def test_atomic_directory_replaces_whole_folders(tmp_path):
    out = tmp_path / "models" / "generator"
    with atomic.atomic_directory(out) as tmp:
        open(os.path.join(tmp, "one"), "w").write("1")
    assert os.listdir(out) == ["one"]
    with atomic.atomic_directory(out) as tmp:
        open(os.path.join(tmp, "two"), "w").write("2")
    assert os.listdir(out) == ["two"] and os.listdir(out.parent) == ["generator"]
    with atomic.atomic_directory(out, replace=False) as tmp:   # another process built it meanwhile
        open(os.path.join(tmp, "three"), "w").write("3")
    assert os.listdir(out) == ["two"] and os.listdir(out.parent) == ["generator"]
    with pytest.raises(ValueError):
        with atomic.atomic_directory(out) as tmp:
            raise ValueError("failed")
    assert os.listdir(out) == ["two"] and os.listdir(out.parent) == ["generator"]


def test_remove_stale_temps_in_a_folder(tmp_path):
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for name in (f".a.tfrecord.tmp-{dead.pid}.tfrecord", f".b.json.tmp-{os.getpid()}.json", "c.json"):
        (tmp_path / name).write_text("x")
    removed = atomic.remove_stale_temps(folder=tmp_path)
    assert [os.path.basename(p) for p in removed] == [f".a.tfrecord.tmp-{dead.pid}.tfrecord"]
    assert sorted(os.listdir(tmp_path)) == sorted([f".b.json.tmp-{os.getpid()}.json", "c.json"])
