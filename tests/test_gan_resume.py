"""Kill a training subprocess mid-run with SIGKILL, resume it, and compare with an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = 20  # tiny: 4 micro-batches per train step (accumulation 2 × d_steps 2) → 5 steps, 10 D updates
SETS = ["train.d_pretrain_updates=2"]


def run_script(run_dir, **kwargs):
    cmd = [sys.executable, "-m", "tests.helpers.train_script", str(run_dir), str(STEPS), *SETS]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kwargs)


def checkpoint_numbers(run_dir):
    ckpt = os.path.join(run_dir, "checkpoints")
    if not os.path.isdir(ckpt):
        return []
    return sorted(int(f.split("-")[1].split(".")[0]) for f in os.listdir(ckpt) if f.endswith(".index"))


def final_variables(run_dir):
    """Every numeric tensor of the latest checkpoint: weights, EMA, optimizer slots, counters, RNG."""
    import tensorflow as tf

    path = os.path.join(run_dir, "checkpoints")
    reader = tf.train.load_checkpoint(path)
    values = {name: reader.get_tensor(name) for name, _ in tf.train.list_variables(path)
              if "save_counter" not in name and name != "_CHECKPOINTABLE_OBJECT_GRAPH"}
    return {name: v for name, v in values.items() if np.asarray(v).dtype.kind in "fiu"}


def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path, tf):
    straight = run_script(tmp_path / "straight")
    killed_dir = tmp_path / "killed"
    victim = run_script(killed_dir)
    deadline = time.time() + 600
    while time.time() < deadline and not any(n >= 4 for n in checkpoint_numbers(killed_dir)):
        assert victim.poll() is None, victim.communicate()
        time.sleep(0.2)
    os.killpg(victim.pid, signal.SIGKILL)  # mid-run: at least 2 adversarial steps checkpointed
    victim.wait()
    assert max(checkpoint_numbers(killed_dir)) < 10, "the victim finished before it was killed"

    resumed = run_script(killed_dir)
    out_resumed, err_resumed = resumed.communicate(timeout=900)
    out_straight, err_straight = straight.communicate(timeout=900)
    assert resumed.returncode == 0, err_resumed[-2000:]
    assert straight.returncode == 0, err_straight[-2000:]
    assert "DONE 20" in out_resumed and "DONE 20" in out_straight

    a, b = final_variables(tmp_path / "straight"), final_variables(killed_dir)
    assert set(a) == set(b) and len(a) > 50
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-5, atol=1e-6, err_msg=name)

    history = json.loads((killed_dir / "history.json").read_text())
    adversarial = [r for r in history if r.get("phase") != "d_pretrain"]
    assert [r["step"] for r in adversarial] == [4, 8, 12, 16, 20]
    assert adversarial[-1]["optimizer_updates"] == 10
    straight_history = json.loads((tmp_path / "straight" / "history.json").read_text())
    assert [r["d_loss"] for r in straight_history] == [r["d_loss"] for r in history]


def test_history_is_written_before_each_checkpoint(tmp_path, tf):
    """A kill between the two writes must not lose history records: the history file already holds
    every record when the checkpoint is saved (the other order once lost a record in CI), and the
    resume drops the records the restored checkpoint never reached."""
    from foleygan_tf.training.fit_gan import resumable_history
    from foleygan_tf.training.gan_callbacks import GANRunKeeper, PretrainCheckpointer
    from foleygan_tf.training.run_dir import RunDir

    run = RunDir(str(tmp_path))
    on_disk_at_save = []

    class Manager:                                     # stands in for tf.train.CheckpointManager
        def save(self, checkpoint_number):
            on_disk_at_save.append((checkpoint_number, [r["step"] for r in run.read_history()]))

    class Model:
        def optimizer_updates(self):
            return 4

        def pretrain_updates(self):
            return 6

    history = [{"step": 4, "optimizer_updates": 2}, {"step": 8, "optimizer_updates": 4}]
    keeper = GANRunKeeper(run, Manager(), history, log_every=4, checkpoint_every=2)
    keeper.set_model(Model())
    keeper.save()
    assert on_disk_at_save == [(4, [4, 8])]
    pre = PretrainCheckpointer(run, Manager(), [], checkpoint_every=100)
    pre.set_model(Model())
    pre.on_train_end()
    assert on_disk_at_save[-1] == (0, [0])

    records = [{"step": 0, "phase": "d_pretrain", "pretrain_updates": 6}, {"step": 4}, {"step": 8}, {"step": 12}]
    assert resumable_history(records, 8, 6) == records[:3]                 # killed before ckpt 12
    assert resumable_history(records, 0, 4) == []                          # killed before pre-training ended
    assert resumable_history([{"step": 0, "phase": "d_pretrain"}, {"step": 4}], 4, 6) == [
        {"step": 0, "phase": "d_pretrain"}, {"step": 4}]                   # records of older runs
