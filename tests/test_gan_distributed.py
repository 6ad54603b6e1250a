"""Real tf.distribute strategies: MirroredStrategy over 2 logical CPUs, and two local
MultiWorkerMirroredStrategy worker processes on 127.0.0.1 (slow)."""

import json
import math
import os
import socket
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _result(stdout):
    line = next(l for l in stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _check(result, replicas):
    assert result["replicas"] == replicas and result["diverged"] is None
    assert result["optimizer_updates"] == 4  # 8 micro-batches / accumulation 2
    adversarial = [r for r in result["history"] if r.get("phase") != "d_pretrain"]
    assert [r["step"] for r in adversarial] == [4, 8]
    assert all(math.isfinite(r[k]) for r in result["history"] for k in ("d_loss", "d_real", "d_fake"))
    assert all(math.isfinite(r["g_loss"]) for r in adversarial)


def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tests.helpers.distributed_script", "mirrored", str(tmp_path / "run")],
                         cwd=REPO, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    _check(_result(out.stdout), replicas=2)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_multi_worker_mirrored_strategy_two_local_processes(tmp_path):
    workers = [f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"]
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps({"cluster": {"worker": workers},
                                                     "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.distributed_script", "multiworker", str(tmp_path / f"run{index}")],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [p.communicate(timeout=1200) for p in procs]
    for p, (_, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-3000:]
    for out, _ in outputs:
        _check(_result(out), replicas=2)
