"""Checks every `foleygan export BLOCK` command must pass (the TRN and the generator exports)."""

import os

from foleygan_tf.cli import main


def check_replace_and_refusals(block, run, out, extra_args, tmp_path, capsys):
    """``out`` (a folder of ``tmp_path``) holds an export of ``run`` already: exporting again
    replaces it atomically (no temporary left beside it); a folder with other content and a missing
    run are refused with one line each. Returns the refused folder (``tmp_path/busy``)."""
    first = os.path.getmtime(os.path.join(out, "saved_model.pb"))
    assert main(["export", block, run, out, *extra_args, "--no-verify"]) == 0
    assert os.path.getmtime(os.path.join(out, "saved_model.pb")) >= first
    assert not [f for f in os.listdir(tmp_path) if ".tmp-" in f or ".old-" in f]
    capsys.readouterr()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    assert main(["export", block, run, str(busy)]) == 2
    err = capsys.readouterr().err.strip()
    assert "refusing" in err and "\n" not in err and (busy / "notes.txt").read_text() == "mine"
    assert main(["export", block, str(tmp_path / "norun"), str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert "not found" in err and "\n" not in err
    return busy
