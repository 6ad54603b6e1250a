"""`foleygan prepare` on the bad-input corpus: every item is either skipped with its reason in the
manifest (and the summary), or handled — and then its stored window is checked. One run of the
real command (in-process) over a dataset made of all items, under non-ASCII paths with spaces.
Crash safety of `prepare` (SIGKILL mid-run, resume) is tests/test_prepare.py::test_kill_midway_then_resume."""

import os
import shutil

import numpy as np
import pytest
from robustness_checks import assert_one_line_error, clip_id, leftovers

# item → ("skipped", words of the manifest reason) | ("handled", expected source fps) | ("ignored", why)
EXPECTED = {
    "zero_byte": ("skipped", "empty file (0 bytes)"),
    # the full reason: the data root's name holds a ' (FFmpeg then quotes the path with ", which the
    # reason once failed to strip)
    "truncated_mp4": ("skipped", "not a readable video (InvalidDataError: Invalid data found when processing input)"),
    "text_as_mp4": ("skipped", "not a readable video (InvalidDataError: Invalid data found when processing input)"),
    "no_audio_track": ("skipped", "no audio track"),
    "audio_only": ("skipped", "no video track"),
    "one_frame": ("skipped", "too short: 0.04 s"),
    "short_0.2s": ("skipped", "too short: 0.21 s"),
    "4k": ("handled", 2.0),
    "portrait": ("handled", 24.0),
    "grayscale": ("handled", 24.0),
    "60fps": ("handled", 60.0),
    "variable_fps": ("handled", None),          # the container's average rate
    "audio_5.1": ("handled", 24.0),
    "audio_8k": ("handled", 24.0),
    "audio_96k": ("handled", 24.0),
    "silent_audio": ("handled", 24.0),
    "nan_inf_audio": ("skipped", "audio contains NaN or inf samples"),
    "nan_inf_wav": ("skipped", "not a video file extension"),  # listed at discovery, never decoded
    "directory_as_file": ("ignored", "a folder named *.mp4 is walked as a sub-folder (here empty)"),
    "non_ascii": ("handled", 24.0),
}
TONE_ITEMS = ("4k", "portrait", "grayscale", "60fps", "variable_fps", "audio_5.1", "audio_8k", "audio_96k",
              "non_ascii")


@pytest.mark.parametrize("item", sorted(EXPECTED))
def test_prepare_outcome(prepared, corpus_files, item, tiny_cfg):
    assert prepared["code"] == 0
    outcome, detail = EXPECTED[item]
    cid = clip_id(item, corpus_files[item])
    if outcome == "skipped":
        assert cid not in prepared["examples"]
        reason = prepared["skipped"][cid]
        assert detail in reason and "entrée" not in reason, reason     # no repeated path
        return
    if outcome == "ignored":
        assert cid not in prepared["examples"] and not any(p.startswith(cid) for p in prepared["skipped"])
        return
    ex = prepared["examples"][cid]
    assert cid not in prepared["skipped"]
    size = tiny_cfg.video.frame_size
    assert ex["frames"].shape == (tiny_cfg.video.frames_per_clip, size, size, 3)
    assert ex["wave"].shape == (tiny_cfg.audio.clip_samples,) and np.all(np.isfinite(ex["wave"]))
    assert abs(ex["valid_seconds"] - 1.5) < 0.01
    if detail is not None:
        assert ex["source_fps"] == pytest.approx(detail, rel=1e-4)
    else:  # variable frame rate: 27 frames over 1.5 s → the average rate
        assert 10 < ex["source_fps"] < 30
    valid = ex["wave"][: int(1.45 * tiny_cfg.audio.sample_rate)]
    if item == "silent_audio":
        assert np.max(np.abs(valid)) < 1e-3
    elif item in TONE_ITEMS:
        # the 220 Hz tone survives downmix (5.1) and resampling from 8 / 44.1 / 96 kHz to 689 Hz
        spectrum = np.abs(np.fft.rfft(valid * np.hanning(len(valid))))
        peak = np.fft.rfftfreq(len(valid), 1 / tiny_cfg.audio.sample_rate)[np.argmax(spectrum)]
        assert abs(peak - 220) < 5, peak
        assert 0.05 < float(np.max(np.abs(valid))) < 0.5
    if item == "grayscale":
        f = ex["frames"].astype(int)
        assert np.abs(f[..., 0] - f[..., 1]).max() <= 8 and np.abs(f[..., 1] - f[..., 2]).max() <= 8
    assert ex["frames"].std() > 5        # real content, not a black frame


def test_prepare_run_is_clean(prepared):
    """Summary line lists every skipped file; no temporary or partial file remains."""
    assert len(prepared["skipped"]) == sum(1 for o, _ in EXPECTED.values() if o == "skipped")
    files = leftovers(prepared["shards"])
    assert not [f for f in files if ".tmp-" in f], files
    assert len(prepared["examples"]) == sum(1 for o, _ in EXPECTED.values() if o == "handled")


def test_prepare_refuses_unusable_destinations(corpus_files, tmp_path, run_cli):
    import corpus

    data = tmp_path / "data"
    (data / "clock").mkdir(parents=True)
    shutil.copy(corpus_files["portrait"], data / "clock" / "a.mp4")
    # SHARDS_DIR is a file (a file where a directory is expected)
    (tmp_path / "afile").write_text("x")
    code, _, err = run_cli(["prepare", data, tmp_path / "afile", "--quiet"])
    assert_one_line_error(code, err, str(tmp_path / "afile"), "not a directory")
    # DATA_DIR is a video file, not a folder or CSV
    code, _, err = run_cli(["prepare", data / "clock" / "a.mp4", tmp_path / "s2", "--quiet"])
    assert_one_line_error(code, err, "a.mp4", "not a folder")
    assert not (tmp_path / "s2").exists()
    # a read-only SHARDS_DIR
    ro = tmp_path / "readonly"
    ro.mkdir()
    with corpus.read_only_dir(ro):
        code, _, err = run_cli(["prepare", data, ro, "--quiet", "--workers", "1"])
    assert_one_line_error(code, err, str(ro), "Permission denied")
    assert leftovers(ro) == [] and not os.listdir(ro)
