"""`foleygan survey report`: Table IV per class and per model with bootstrap intervals over
participants, the reference/anchor check and flagged participants, the raw answers; N = 0 for a
study without answers."""

import csv
import json
import os

import pytest

from foleygan_tf.cli import main
from foleygan_tf.survey.manifest import new_id, new_manifest, save_manifest
from foleygan_tf.survey.store import ResponseStore


def _study(folder) -> str:
    """A finished manifest (no media: the report does not read them): clips x1, x2 of class
    ``dog`` and y1 of class ``siren``, conditions model ``m``, reference and anchor."""
    study = str(folder)
    os.makedirs(study, exist_ok=True)
    manifest = new_manifest()
    manifest["status"] = "complete"
    manifest["models"] = [{"name": "m", "dir": "models"}]
    manifest["clips"] = [
        {"key": key, "video": f"{key}.mp4", "class": cls, "class_source": "sidecar", "duration": 2.0,
         "level_lufs": -23.0,
         "conditions": [{"id": new_id(), "condition": c, "kind": k} for c, k in
                        (("m", "model"), ("reference", "reference"), ("anchor", "anchor"))]}
        for key, cls in (("x1", "dog"), ("x2", "dog"), ("y1", "siren"))]
    save_manifest(study, manifest)
    return study


def _take_part(study, rate, pages=None):
    """One participant answering (at most ``pages``) pages with ``rate(item) → (quality, sync)``
    through the store, as the server does."""
    from foleygan_tf.survey.manifest import items, read_manifest

    store = ResponseStore(os.path.join(study, "responses.sqlite"), items(read_manifest(study)))
    who, token = store.new_participant()
    state = store.state(who, token)
    while not state["done"] and (pages is None or state["position"] < pages):
        item = store.items[state["item"]["id"]]
        store.record_play(who, token, item["id"])
        state = store.record_answer(who, token, item["id"], *rate(item))["state"]
    return who


def _rows(report):
    return {(r["condition"], r["class"]): r for r in report["rows"]}


def test_table_iv_per_class_and_model_with_intervals_over_participants(tmp_path, capsys):
    from foleygan_tf.survey.report import write_report

    study = _study(tmp_path / "study")
    # three generous and three harsh participants: the model's quality is 8 or 2 by participant,
    # dog clips get +1 sync; the reference is in sync (9), the anchor is not (2)
    people = []
    for k in range(6):
        base = 8 if k < 3 else 2

        def rate(item, base=base):
            if item["kind"] == "model":
                return base, 6 + (item["class"] == "dog")
            return (7, 9) if item["kind"] == "reference" else (7, 2)

        people.append(_take_part(study, rate))
    flagged = _take_part(study, lambda item: (5, 1) if item["kind"] == "reference" else (5, 10))
    partial = _take_part(study, lambda item: (4, 4), pages=2)
    out = tmp_path / "report"
    assert main(["survey", "report", study, "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "N = 8 participants" in printed and "Flagged (anchor sync above reference): 1" in printed

    report = write_report(study, out)
    rows = _rows(report)
    assert set(rows) == {(c, k) for c in ("m", "reference", "anchor") for k in ("dog", "siren", "all")}
    # the interval resamples participants: it spans the harsh and the generous ones, far wider
    # than an interval over 21+ ratings treated as independent would
    q = rows[("m", "all")]["quality"]
    assert q["low"] < q["mean"] < q["high"] and q["high"] - q["low"] > 3.0
    assert rows[("reference", "all")]["sync"]["mean"] > rows[("anchor", "all")]["sync"]["mean"] + 4
    assert rows[("m", "dog")]["sync"]["mean"] > rows[("m", "siren")]["sync"]["mean"]
    same = rows[("reference", "siren")]["quality"]
    assert same["low"] <= same["mean"] <= same["high"]

    check = report["check"]
    assert [p["participant"] for p in check["participants"] if p["flagged"]] == [flagged]
    assert check["difference"]["low"] > 0

    md = (out / "table4.md").read_text()
    assert "## Table IV — model `m`" in md and "| **Average** |" in md and "separate as expected" in md
    assert f"| {flagged} |" in md and "No answers yet" not in md
    table = list(csv.DictReader(open(out / "table4.csv")))
    assert len(table) == 9 and float(table[0]["quality_low"]) <= float(table[0]["quality_mean"])
    answers = list(csv.DictReader(open(out / "answers.csv")))
    assert len(answers) == 7 * 9 + 2
    assert {a["participant"] for a in answers if a["flagged"] == "True"} == {flagged}
    assert {a["participant"] for a in answers if a["finished"] == "False"} == {partial}
    assert set(people) < {a["participant"] for a in answers}
    for (condition, cls), row in rows.items():   # N = participants who rated the cell
        cell = [a for a in answers if a["condition"] == condition and cls in ("all", a["class"])]
        assert (row["n_participants"], row["n_ratings"]) == (len({a["participant"] for a in cell}), len(cell))
        assert row["n_participants"] >= 7
    assert (out / "table4.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # deterministic: the same answers give the same intervals
    again = write_report(study, tmp_path / "again")
    assert (tmp_path / "again" / "table4.csv").read_text() == (out / "table4.csv").read_text()
    assert again["check"] == report["check"]


def test_a_study_without_answers_reports_n_0(tmp_path, capsys):
    study = _study(tmp_path / "study")
    out = tmp_path / "report"
    assert main(["survey", "report", study, "-o", str(out)]) == 0
    assert "no answers yet (N = 0)" in capsys.readouterr().out
    md = (out / "table4.md").read_text()
    assert "**No answers yet: N = 0.**" in md and "| **Average** | 0 | — | — |" in md
    table = list(csv.DictReader(open(out / "table4.csv")))
    assert len(table) == 9 and all(r["n_participants"] == "0" and r["sync_mean"] == "" for r in table)
    assert (out / "answers.csv").read_text().splitlines() == [
        "participant,finished,flagged,position,clip,class,condition,kind,quality,sync,answered_at"]
    assert (out / "table4.png").stat().st_size > 1000


def test_report_errors_are_one_line(tmp_path, capsys):
    assert main(["survey", "report", str(tmp_path / "none"), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "manifest.json" in err and "no finished study" in err
    study = _study(tmp_path / "study")
    (tmp_path / "file").write_text("x")
    assert main(["survey", "report", study, "-o", str(tmp_path / "file")]) == 2
    assert "not a folder" in capsys.readouterr().err
    manifest = json.loads(open(os.path.join(study, "manifest.json")).read())
    manifest["texts"]["questions"] = [{"id": "loudness", "text": "?"}]
    open(os.path.join(study, "manifest.json"), "w").write(json.dumps(manifest))
    from foleygan_tf.survey.manifest import merged_texts

    with pytest.raises(ValueError, match="quality and sync"):
        merged_texts(manifest["texts"], "manifest.json")
