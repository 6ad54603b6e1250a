"""`foleygan synth-data --sound-bank` with a bad sound bank: unusable recordings (zero-byte ogg,
corrupt ogg, NaN/inf float wav, a folder named *.wav, silence) are skipped with one warning line
each; a class left without any usable recording falls back to synthetic sounds (one warning);
a truncated ogg is used for what decodes. A bank with the wrong layout, a bank path that is a file
and a DATA_DIR that is a file are one-line errors that leave no output folder behind."""

import glob
import json
import os

import numpy as np
import pytest
from robustness_checks import assert_one_line_error, leftovers

SYNTH = ["--clips-per-class", "1", "--size", "32", "--seconds", "1", "--workers", "1", "--quiet"]


def _hits_wav(path, rate=22050, seconds=1.5, channels=1, fmt=None):
    """A usable recording: four decaying noise bursts (onsets for the hit segmentation)."""
    import soundfile

    rng = np.random.default_rng(0)
    x = np.zeros(int(rate * seconds), np.float32)
    for k in range(4):
        s = int((0.1 + 0.35 * k) * rate)
        n = int(0.15 * rate)
        x[s:s + n] += 0.8 * rng.standard_normal(n).astype(np.float32) * np.exp(-np.arange(n) / (0.02 * rate))
    x = np.repeat(np.clip(x, -1, 1)[:, None], channels, axis=1)
    soundfile.write(str(path), x, rate, subtype="PCM_16", format=fmt)
    return str(path)


def _ogg(path, rate=22050):
    import soundfile

    t = np.arange(int(rate * 3.0)) / rate     # 3 s of decaying noise bursts (≈ 22 kB of Vorbis)
    x = (0.3 * np.random.default_rng(0).standard_normal(len(t)) * np.exp(-3 * (t % 0.75))).astype(np.float32)
    soundfile.write(str(path), x, rate, format="OGG", subtype="VORBIS")
    return str(path)


# bank file → expected warning words (None: used)
BANK = {
    "footstep/good.wav": None,
    "footstep/truncated.ogg": None,                          # the decodable first half is used
    "footstep/surround 5.1 é.wav": None,                     # 6 channels, averaged
    "footstep/rate8k.wav": None,                             # resampled to 44.1 kHz
    "footstep/rate96k.flac": None,
    "footstep/notes.ogg": "not a readable audio/video file",  # a text file renamed
    "footstep/zero.ogg": "file is empty (0 bytes)",
    "footstep/corrupt.ogg": "not a readable audio/video file",
    "footstep/nan_inf.wav": "audio contains NaN or inf samples",
    "footstep/folder.wav": "is a directory",
    "clock/silent.wav": "silent (all samples are zero)",
    "clock/nan_inf.wav": "audio contains NaN or inf samples",
}


@pytest.fixture(scope="module")
def bad_bank(tmp_path_factory):
    import corpus
    import soundfile

    bank = tmp_path_factory.mktemp("bank") / "banque à sons"
    (bank / "footstep").mkdir(parents=True)
    (bank / "clock").mkdir()
    _hits_wav(bank / "footstep" / "good.wav")
    full = open(_ogg(bank / "full.ogg"), "rb").read()
    os.remove(bank / "full.ogg")
    (bank / "footstep" / "truncated.ogg").write_bytes(full[: len(full) // 2])
    (bank / "footstep" / "zero.ogg").write_bytes(b"")
    (bank / "footstep" / "corrupt.ogg").write_bytes(b"OggS" + np.random.default_rng(1).bytes(4000))
    corpus.nan_wav(bank / "footstep" / "nan_inf.wav")
    (bank / "footstep" / "folder.wav").mkdir()
    _hits_wav(bank / "footstep" / "surround 5.1 é.wav", channels=6)
    _hits_wav(bank / "footstep" / "rate8k.wav", rate=8000)
    _hits_wav(bank / "footstep" / "rate96k.flac", rate=96000, fmt="FLAC")
    (bank / "footstep" / "notes.ogg").write_text("shopping list, renamed to .ogg\n" * 40)
    soundfile.write(str(bank / "clock" / "silent.wav"), np.zeros(22050, np.float32), 22050)
    corpus.nan_wav(bank / "clock" / "nan_inf.wav")
    return str(bank)


def test_bad_files_in_the_bank_are_skipped_and_reported(bad_bank, tmp_path, run_cli, tf):
    data = tmp_path / "data"
    code, out, err = run_cli(["synth-data", data, "--sound-bank", bad_bank, "--classes", "footstep,clock", *SYNTH])
    assert code == 0 and "Traceback" not in err, err
    assert "wrote 2 clips" in out
    warnings = [ln for ln in err.splitlines() if ln.startswith("foleygan: warning:")]
    for rel, words in BANK.items():
        mine = [ln for ln in warnings if os.path.join(bad_bank, rel) in ln]
        if words is None:
            assert not mine, mine
        else:
            assert len(mine) == 1 and words in mine[0], (rel, mine)
    assert any("'clock'" in ln and "synthetic sounds" in ln for ln in warnings), warnings
    assert len(warnings) == sum(w is not None for w in BANK.values()) + 1
    footstep = json.loads(open(glob.glob(str(data / "footstep" / "*.json"))[0]).read())
    clock = json.loads(open(glob.glob(str(data / "clock" / "*.json"))[0]).read())
    assert clock["sound_sources"] == ["synthetic"]
    cache = json.loads(open(glob.glob(str(data / ".cache" / "soundbank-*" / "index.json"))[0]).read())
    assert sorted(cache["skipped"]) == sorted(r for r, w in BANK.items() if w is not None)
    used = {e["source"] for e in cache["index"]}
    assert used == {r for r, w in BANK.items() if w is None}
    assert footstep["sound_sources"] and set(footstep["sound_sources"]) <= used
    assert not [f for f in leftovers(data) if ".tmp-" in f]


@pytest.mark.parametrize("case", ["flat_layout", "unknown_class_folders", "bank_is_a_file", "missing_bank",
                                  "data_dir_is_a_file"])
def test_unusable_bank_or_destination_is_one_line(case, tmp_path, run_cli):
    bank = tmp_path / "bank"
    data = tmp_path / "data"
    if case == "flat_layout":                     # recordings not in <class>/ folders
        bank.mkdir()
        _hits_wav(bank / "footstep_01.wav")
        words = ("no recordings for the classes", "<class>/*.wav")
    elif case == "unknown_class_folders":
        (bank / "steps").mkdir(parents=True)
        _hits_wav(bank / "steps" / "a.wav")
        words = ("no recordings for the classes",)
    elif case == "bank_is_a_file":
        bank.write_text("not a folder")
        words = ("must be a folder",)
    elif case == "missing_bank":
        words = ("sound bank folder not found",)
    else:
        bank.mkdir()
        _hits_wav(bank / "x.wav")
        data.write_text("a file")
        words = ("DATA_DIR exists and is not a directory",)
    code, _, err = run_cli(["synth-data", data, "--sound-bank", bank, "--classes", "footstep", *SYNTH])
    assert_one_line_error(code, err, str(data if case == "data_dir_is_a_file" else bank), *words)
    if case != "data_dir_is_a_file":
        assert not data.exists()                  # no partial output folder


def test_read_only_data_dir(tmp_path, run_cli):
    import corpus

    ro = tmp_path / "ro"
    ro.mkdir()
    with corpus.read_only_dir(ro):
        code, _, err = run_cli(["synth-data", ro / "data", "--classes", "clock", *SYNTH])
    assert_one_line_error(code, err, str(ro / "data"), "Permission denied")
    assert os.listdir(ro) == []
