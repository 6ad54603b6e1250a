"""Crash safety of `foleygan generate` over a batch of videos: SIGKILL mid-batch, rerun, and compare
with an uninterrupted run (same seed).

The kill is placed at the worst moment deterministically: the victim process (the real CLI entry
point) runs with ``mux._write`` wrapped so that, after the second video's temporary file is fully
written, it sleeps before the rename; the test kills it there (SIGKILL to its process group).
Crash safety of `prepare` and `train gan` is tested in tests/test_prepare.py
(test_kill_midway_then_resume) and tests/test_gan_resume.py."""

import hashlib
import os
import signal
import subprocess
import sys
import time

from robustness_checks import assert_generated, leftovers

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VICTIM = """
import os, sys, time
import foleygan_tf.inference.mux as mux
original, done = mux._write, []
def hanging_write(*args, **kwargs):
    original(*args, **kwargs)
    done.append(1)
    if len(done) == 2:       # video 2's temporary is complete, not yet renamed: get killed here
        open(os.environ["VICTIM_READY"], "w").close()
        time.sleep(600)
mux._write = hanging_write
from foleygan_tf.cli import main
sys.exit(main(sys.argv[1:]))
"""


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_sigkill_mid_batch_then_rerun_equals_uninterrupted(tmp_path, models_dir, cached_pipeline, run_cli):
    import corpus
    from foleygan_tf.inference.mux import probe_video

    videos = []
    for k, (seconds, fps) in enumerate([(1.5, 24), (4.0, 30), (1.0, 25), (2.0, 24)]):
        videos.append(corpus.write_av(tmp_path / f"v{k + 1}.mp4", seconds=seconds, fps=fps, audio=False,
                                      size=(48, 64)))
    out = tmp_path / "out"
    argv = ["generate", *videos, "-o", str(out), "--wav", "--seed", "7", "--quiet", "--models", models_dir]
    ready = tmp_path / "victim_ready"
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
               VICTIM_READY=str(ready))
    victim = subprocess.Popen([sys.executable, "-c", VICTIM, *argv], cwd=REPO, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    temp = f".v2.mp4.tmp-{victim.pid}.mp4"
    deadline = time.time() + 300
    try:
        while not ready.exists():
            assert victim.poll() is None, victim.communicate()[1][-3000:]
            assert time.time() < deadline, "the victim never reached video 2"
            time.sleep(0.05)
        assert (out / temp).exists()
    finally:
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
    assert victim.returncode == -signal.SIGKILL

    # what the kill left: video 1 finished (mp4 + wav, complete), video 2 only as a hidden
    # temporary, videos 3-4 nothing — no output name ever holds a partial file
    assert leftovers(out) == sorted([temp, "v1.mp4", "v1.wav"])
    assert_generated(videos[0], str(out / "v1.mp4"), probe_video(videos[0])["duration"])
    finished = {name: sha(out / name) for name in ("v1.mp4", "v1.wav")}

    # rerun (the real command, in-process): the stale temporary is removed, every output written
    code, _, err = run_cli(argv)
    assert code == 0 and "Traceback" not in err, err
    names = sorted(f"v{k}.{ext}" for k in range(1, 5) for ext in ("mp4", "wav"))
    assert leftovers(out) == names
    for k, v in enumerate(videos):
        assert_generated(v, str(out / f"v{k + 1}.mp4"), probe_video(v)["duration"])

    # an uninterrupted run gives byte-identical files — including the ones the killed process
    # finished before it died
    straight = tmp_path / "straight"
    code, _, err = run_cli(["generate", *videos, "-o", str(straight), "--wav", "--seed", "7", "--quiet"])
    assert code == 0, err
    assert leftovers(straight) == names
    for name in names:
        assert sha(out / name) == sha(straight / name), name
    for name, digest in finished.items():
        assert digest == sha(straight / name), name


def test_stale_temporaries_only_of_dead_processes_are_removed(tmp_path):
    from foleygan_tf.atomic import remove_stale_temps

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    files = {f".a.mp4.tmp-{dead.pid}.mp4": False, f".a.wav.tmp-{dead.pid}.wav": False, f".a.png.tmp-{dead.pid}.png": False,
             f".a.mp4.tmp-{os.getpid()}": True,         # a live writer (this process)
             f".other.mp4.tmp-{dead.pid}": True,        # not one of our outputs
             "a.mp4": True, "notes.tmp-1x": True}
    for name in files:
        (tmp_path / name).write_text("x")
    removed = remove_stale_temps([tmp_path / "a.mp4", tmp_path / "a.wav", tmp_path / "a.png"])
    assert sorted(os.path.basename(p) for p in removed) == sorted(n for n, keep in files.items() if not keep)
    assert sorted(os.listdir(tmp_path)) == sorted(n for n, keep in files.items() if keep)
