"""The real entry point (a subprocess, as a user runs it): a bad input gives exit status 2 and
exactly one stderr line — no traceback, no log noise. (The other robustness tests call
``foleygan_tf.cli.main`` in-process, which is the same code minus the interpreter start.)"""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(*argv):
    """The installed ``foleygan`` console script (``foleygan_tf.cli:main``), as a user runs it."""
    script = os.path.join(os.path.dirname(sys.executable), "foleygan")
    assert os.path.exists(script), f"{script}: the console script is not installed (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}   # as a user's shell
    return subprocess.run([script, *map(str, argv)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_exit_status_and_single_stderr_line(tmp_path, corpus_files):
    (tmp_path / "afile").write_text("x")
    cases = [
        (["synth-data", tmp_path / "d", "--clips-per-class", "1", "--sound-bank", corpus_files["zero_byte"]],
         "--sound-bank must be a folder"),
        (["prepare", os.path.dirname(corpus_files["zero_byte"]), tmp_path / "afile"], "SHARDS_DIR exists and is not"),
        (["synth-data", tmp_path / "afile", "--clips-per-class", "1"], "DATA_DIR exists and is not a directory"),
        # fails after TensorFlow is imported: its start-up log lines must not precede the error
        (["prepare", tmp_path / "data", tmp_path / "shards"], "unknown class 'dog'"),
    ]
    (tmp_path / "data" / "dog").mkdir(parents=True)
    for argv, words in cases:
        r = _run(*argv)
        assert r.returncode == 2, (argv, r.stderr)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("foleygan: error:") and words in r.stderr, r.stderr
        assert r.stdout == ""
