"""The research diagnostics keep their `python -m research.…` entry points (run from the repository
root, as research/README.md gives them)."""

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("module, words", [("research.sync.guidance_check", "MODELS_DIR SHARDS_DIR"),
                                           ("research.sync.video_sync", "MODELS_DIR VIDEOS"),
                                           ("research.sync.real_timing", "TRN_SAVED_MODEL VIDEOS"),
                                           ("research.sync.pact_calibration", "TRN_SAVED_MODEL SHARDS_DIR"),
                                           ("research.sync.motion_onsets", "--side SIDE"),
                                           ("research.sync.event_detector", "SHARDS_DIR VIDEOS"),
                                           ("research.perf.kernel_ceiling", "--preset PRESET"),
                                           ("research.dataset.x264_repeat", "usage: python -m research.dataset")])
def test_entry_point_runs(module, words):
    args = [] if module.endswith("x264_repeat") else ["--help"]
    got = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    text = got.stdout + got.stderr
    assert got.returncode == (2 if not args else 0), text
    assert words.lower() in text.lower().replace("\n", " ").replace("  ", " "), text


def test_x264_repeat_counts_the_payloads(tmp_path):
    """Two encodes of one clip in one process: the counts add up, the AAC stream is identical, and
    another clip is far from the common encode (the scale the PSNR of a variant is read against)."""
    from research.dataset.x264_repeat import repeat_encodes

    r = repeat_encodes(2, str(tmp_path))
    assert sum(r["video"].values()) == 2 and list(r["audio"].values()) == [2]
    common = max(r["video"], key=r["video"].get)
    assert r["psnr"][common] == float("inf") and all(db > 30 for db in r["psnr"].values())
    assert r["other_clip_psnr"] < 30
