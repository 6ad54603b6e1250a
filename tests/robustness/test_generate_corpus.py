"""`foleygan generate` on the bad-input corpus (the real command in-process, the bundled default
models loaded once): handled items give a complete video + track as long as the video; the others
a one-line error naming the file and the problem, exit code 2, no output or temporary left."""

import os
import stat

import pytest
from robustness_checks import assert_generated, assert_one_line_error, leftovers, streams

# item → ("handled", None) | ("error", words of the one-line message besides the path)
EXPECTED = {
    "zero_byte": ("error", "empty file (0 bytes), not a video"),
    "truncated_mp4": ("error", "not a readable video file — corrupt, truncated or not a video (InvalidDataError)"),
    "text_as_mp4": ("error", "not a readable video file — corrupt, truncated or not a video (InvalidDataError)"),
    "no_audio_track": ("handled", None),          # the normal input: a silent video
    "audio_only": ("error", "has no video stream"),
    "one_frame": ("handled", None),               # a 1/24 s track
    "short_0.2s": ("handled", None),
    "4k": ("handled", None),                      # frames resized on reading; video copied
    "portrait": ("handled", None),
    "grayscale": ("handled", None),               # FFV1 gray copied into the mp4
    "60fps": ("handled", None),
    "variable_fps": ("handled", None),
    "audio_5.1": ("handled", None),               # the input's own audio is dropped
    "audio_8k": ("handled", None),
    "audio_96k": ("handled", None),
    "silent_audio": ("handled", None),
    "nan_inf_audio": ("handled", None),           # never decoded: the track is replaced
    "nan_inf_wav": ("error", "has no video stream"),
    "directory_as_file": ("error", "is a directory, not a video file"),
    "non_ascii": ("handled", None),
}


@pytest.mark.parametrize("item", sorted(EXPECTED))
def test_generate_outcome(item, corpus_files, cached_pipeline, run_cli, tmp_path):
    from foleygan_tf.inference.mux import probe_video

    src = corpus_files[item]
    out_dir = tmp_path / "sortie à espaces" if item == "non_ascii" else tmp_path / "out"
    out = out_dir / f"{item} é.mp4"
    code, _, err = run_cli(["generate", src, "-o", out, "--wav", "--quiet", "--seed", "3"])
    outcome, words = EXPECTED[item]
    if outcome == "error":
        assert_one_line_error(code, err, src, words)
        assert not out_dir.exists() or leftovers(out_dir) == []
        return
    assert code == 0 and "Traceback" not in err, err
    assert_generated(src, str(out), probe_video(src)["duration"])
    assert sorted(os.listdir(out_dir)) == [f"{item} é.mp4", f"{item} é.wav"]   # nothing else, no temporaries
    if item == "portrait":
        assert (streams(out)["video"]["width"], streams(out)["video"]["height"]) == (90, 160)
    if item == "4k":
        assert streams(out)["video"]["width"] == 3840


def test_generate_read_only_output_dir(corpus_files, cached_pipeline, run_cli, tmp_path):
    import corpus

    ro = tmp_path / "read only"
    ro.mkdir()
    with corpus.read_only_dir(ro):
        code, _, err = run_cli(["generate", corpus_files["portrait"], "-o", ro / "x.mp4", "--wav", "--quiet"])
        assert_one_line_error(code, err, str(ro / "x.mp4"), "cannot write the output", "Permission denied")
        # several inputs into a read-only directory: one line per video, exit 2, nothing written
        code, _, err = run_cli(["generate", corpus_files["portrait"], corpus_files["60fps"], "-o", ro, "--quiet"])
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 3 and all("cannot write the output" in ln for ln in lines[:2]), lines
    assert lines[2] == "foleygan: 2 of 2 video(s) failed"
    assert os.listdir(ro) == [] and stat.S_IMODE(os.stat(ro).st_mode) != 0o555   # mode restored


def test_generate_output_under_a_file(corpus_files, cached_pipeline, run_cli, tmp_path):
    """-o inside a path whose parent is a file: one line, not a traceback."""
    (tmp_path / "afile").write_text("x")
    code, _, err = run_cli(["generate", corpus_files["portrait"], "-o", tmp_path / "afile" / "x.mp4", "--quiet"])
    assert_one_line_error(code, err, "x.mp4", "cannot write the output")
    code, _, err = run_cli(["generate", corpus_files["portrait"], corpus_files["60fps"], "-o", tmp_path / "afile",
                            "--quiet"])
    assert_one_line_error(code, err, "afile", "not a directory")


def test_batch_with_every_corpus_item(corpus_files, cached_pipeline, run_cli, tmp_path):
    """All items in one batch: the bad ones are reported one line each, the good ones written."""
    items = sorted(k for k in EXPECTED if k != "non_ascii")
    code, _, err = run_cli(["generate", *[corpus_files[k] for k in items], "-o", tmp_path / "batch", "--quiet"])
    bad = [k for k in items if EXPECTED[k][0] == "error"]
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == len(bad) + 1 and lines[-1] == f"foleygan: {len(bad)} of {len(items)} video(s) failed"
    for k in bad:
        assert any(corpus_files[k] in ln and EXPECTED[k][1] in ln for ln in lines), (k, lines)
    written = sorted(os.listdir(tmp_path / "batch"))
    assert written == sorted(os.path.splitext(os.path.basename(corpus_files[k]))[0] + ".mp4"
                             for k in items if EXPECTED[k][0] == "handled")
