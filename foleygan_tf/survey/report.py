"""``foleygan survey report``: Table IV of a study (:mod:`.stats`) as files.

``OUT/`` receives (each written atomically):

* ``table4.md`` — the summary (participants, answers), one Table IV per model (classes and the
  average, mean [95 % bootstrap interval] and N for both questions), the reference and anchor
  tables, the control check (reference − anchor synchronicity) and the flagged participants;
* ``table4.csv`` — every cell: ``condition, kind, class, n_participants, n_ratings,
  quality_mean, quality_low, quality_high, sync_mean, sync_low, sync_high`` (class ``all`` = the
  average; empty means when N = 0);
* ``table4.png`` — both questions per class, one bar per condition with its interval;
* ``answers.csv`` — the raw answers, one row per rated page (anonymous participant ids).

A study without answers gives the same files with N = 0 everywhere, and says so.
"""

from __future__ import annotations

import csv
import io
import os

from foleygan_tf.atomic import atomic_path, write_text
from foleygan_tf.survey import manifest as mf
from foleygan_tf.survey.stats import ALL_CLASSES, QUESTIONS, control_check, summarise
from foleygan_tf.survey.store import read_answers

__all__ = ["write_report"]

ANSWER_FIELDS = ("participant", "finished", "flagged", "position", "clip", "class", "condition", "kind",
                 "quality", "sync", "answered_at")
CONTROL_TITLES = {"reference": "reference (the clip's own recorded track)",
                  "anchor": "anchor (another clip's track)"}


def _csv(rows: list[dict], fields) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(stat: dict) -> str:
    if stat["mean"] is None:
        return "—"
    return f"{stat['mean']:.1f} [{stat['low']:.1f}, {stat['high']:.1f}]"


def _table(rows: list[dict]) -> list[str]:
    lines = ["| Class | N | " + " | ".join(QUESTIONS.values()) + " |", "|---|---:|---|---|"]
    for r in rows:
        name = "**Average**" if r["class"] == ALL_CLASSES else r["class"]
        lines.append(f"| {name} | {r['n_participants']} | " + " | ".join(_cell(r[q]) for q in QUESTIONS) + " |")
    return lines


def _markdown(study, manifest, participants, answers, rows, check, resamples) -> str:
    finished = sum(1 for p in participants if p["finished_at"])
    n = len({a["participant"] for a in answers})
    lines = [f"# Listening test: {os.path.basename(os.path.abspath(study))}", ""]
    if not answers:
        lines += ["**No answers yet: N = 0.** The tables below are empty; rerun the report once participants "
                  "have taken part.", ""]
    lines += [f"{n} participants with answers ({len(participants)} started, {finished} finished), "
              f"{len(answers)} rated pages; {len(manifest['clips'])} clips. Each cell: mean [95 % bootstrap "
              f"interval over participants, {resamples} resamples], N = participants who rated it; ratings "
              "1–10.", ""]
    for name, kind in _conditions(manifest):
        title = f"Table IV — model `{name}`" if kind == "model" else f"Control: {CONTROL_TITLES[kind]}"
        lines += [f"## {title}", ""] + _table([r for r in rows if r["condition"] == name]) + [""]
    lines += ["## Control check", ""]
    diff = check["difference"]
    if diff["mean"] is None:
        lines += ["No participant has rated both a clip's reference and its anchor yet." if any(
            k == "reference" for _, k in _conditions(manifest)) else
            "No reference condition (no clip has its own recorded sound).", ""]
    else:
        verdict = ("the controls separate as expected" if diff["low"] > 0 else
                   "the controls do NOT separate: check the set-up (are the clips' recorded tracks in sync, "
                   "the anchors clearly other sounds?) and the flagged participants")
        lines += [f"Reference − anchor synchronicity: {diff['mean']:+.1f} [{diff['low']:+.1f}, {diff['high']:+.1f}] "
                  f"over {check['n_participants']} participants — {verdict}.", ""]
    flagged = [p for p in check["participants"] if p["flagged"]]
    lines += ["## Flagged participants", "",
              "Rated the anchor's synchronicity above the reference's (mean over the clips they rated both); "
              "they are kept in the tables above.", ""]
    if flagged:
        lines += ["| Participant | Clips | Reference sync | Anchor sync |", "|---|---:|---:|---:|"]
        lines += [f"| {p['participant']} | {p['clips']} | {p['reference_sync']:.1f} | {p['anchor_sync']:.1f} |"
                  for p in flagged]
    else:
        lines += ["None."]
    return "\n".join(lines) + "\n"


def _conditions(manifest) -> list[tuple[str, str]]:
    present = {(c["condition"], c["kind"]) for clip in manifest["clips"] for c in clip["conditions"]}
    models = [(m["name"], "model") for m in manifest["models"]]
    return models + [(k, k) for k in mf.CONTROLS if (k, k) in present]


def _plot(path, rows, conditions, classes) -> None:
    import numpy as np
    from matplotlib.figure import Figure

    groups = list(classes) + [ALL_CLASSES]
    fig = Figure(figsize=(max(7.0, 0.55 * len(groups) * max(1, len(conditions)) + 3), 6.4), dpi=100,
                 layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    width = 0.8 / max(1, len(conditions))
    x = np.arange(len(groups))
    for ax, (q, label) in zip(axes, QUESTIONS.items()):
        for k, (name, _) in enumerate(conditions):
            cells = [next(r for r in rows if r["condition"] == name and r["class"] == g)[q] for g in groups]
            means = np.array([c["mean"] if c["mean"] is not None else np.nan for c in cells])
            err = np.array([[c["mean"] - c["low"], c["high"] - c["mean"]] if c["mean"] is not None else [0, 0]
                            for c in cells]).T
            ax.bar(x + (k - (len(conditions) - 1) / 2) * width, means, width, yerr=err, capsize=2, label=name)
        ax.set_ylim(0, 10.5)
        ax.set_ylabel(f"{label} (1–10)")
        if not any(r["n_participants"] for r in rows):
            ax.text(0.5, 0.5, "no answers yet (N = 0)", transform=ax.transAxes, ha="center", va="center",
                    fontsize=12, color="0.4")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper", fontsize=8)
    axes[1].set_xticks(x, ["average" if g == ALL_CLASSES else g for g in groups], rotation=30, ha="right")
    fig.suptitle("Listening test: mean rating with 95 % bootstrap interval over participants", fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp)


def write_report(study, out, resamples: int = 2000, seed: int = 0) -> dict:
    """Write Table IV of ``study`` to the folder ``out`` (module docstring). Returns ``{"summary":
    one line, "files": paths, "rows", "check"}``."""
    study, out = os.fspath(study), os.fspath(out)
    manifest = mf.read_manifest(study)
    if manifest is None or manifest.get("status") != "complete":
        raise ValueError(f"{mf.manifest_path(study)}: no finished study here (`foleygan survey build` makes one)")
    participants, answers = read_answers(os.path.join(study, mf.RESPONSES_NAME))
    conditions = _conditions(manifest)
    classes = sorted({clip["class"] for clip in manifest["clips"]})
    rows = summarise(answers, conditions, classes, resamples=resamples, seed=seed)
    check = control_check(answers, resamples=resamples, seed=seed)
    flagged = {p["participant"] for p in check["participants"] if p["flagged"]}
    finished = {p["participant"] for p in participants if p["finished_at"]}
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"{out}: exists and is not a folder")
    os.makedirs(out, exist_ok=True)
    files = {name: os.path.join(out, name) for name in ("table4.md", "table4.csv", "table4.png", "answers.csv")}
    write_text(files["answers.csv"], _csv(
        [{**{k: a[k] for k in ANSWER_FIELDS if k in a}, "finished": a["participant"] in finished,
          "flagged": a["participant"] in flagged} for a in answers], ANSWER_FIELDS))
    flat = [{"condition": r["condition"], "kind": r["kind"], "class": r["class"],
             "n_participants": r["n_participants"], "n_ratings": r["n_ratings"],
             **{f"{q}_{s}": ("" if r[q][s] is None else round(r[q][s], 4)) for q in QUESTIONS
                for s in ("mean", "low", "high")}} for r in rows]
    write_text(files["table4.csv"], _csv(flat, list(flat[0])))
    write_text(files["table4.md"], _markdown(study, manifest, participants, answers, rows, check, resamples))
    _plot(files["table4.png"], rows, conditions, classes)
    n = len({a["participant"] for a in answers})
    if answers:
        parts = [f"{name} quality {_cell(r['quality'])}, sync {_cell(r['sync'])}"
                 for name, _ in conditions for r in rows if r["condition"] == name and r["class"] == ALL_CLASSES]
        summary = f"Table IV of {study}: N = {n} participants, {len(answers)} answers; " + "; ".join(parts)
    else:
        summary = f"Table IV of {study}: no answers yet (N = 0); wrote the empty tables"
    if flagged:
        summary += f". Flagged (anchor sync above reference): {len(flagged)} participant(s)"
    return {"summary": summary, "files": list(files.values()), "rows": rows, "check": check}
