"""The study manifest, ``STUDY/manifest.json``: what ``survey build`` made and ``survey serve`` shows.

::

    {"format": "foleygan-survey/1", "study_id": str, "status": "building" | "complete",
     "texts": {...},                                   # every word the page shows (editable)
     "loudness": {"measure", "target_lufs", "peak_ceiling_dbfs"},
     "models": [{"name", "dir"}],
     "clips": [{"key", "video", "class", "class_source", "duration", "level_lufs",
                "conditions": [{"id", "condition", "kind", "source",
                                "loudness_lufs", "gain_db", ...}]}]}

``kind`` is ``model`` (``condition`` = the model's name), ``reference`` (the clip's own recorded
track) or ``anchor`` (another clip's track). ``id`` is a random opaque token: the page and the
media URLs know a condition only by it; its file is ``STUDY/media/<id>.mp4``.

``texts`` may be edited by hand at any time (a rebuild keeps the edits; a missing key falls back
to its default); the two question ids are fixed (``quality``, ``sync``), their wording is not.
``{count}``/``{minutes}`` in ``intro`` and ``{n}``/``{total}`` in ``progress`` are filled in by the
page.
"""

from __future__ import annotations

import json
import os
import re
import secrets

from foleygan_tf.atomic import write_json

FORMAT = "foleygan-survey/1"
MANIFEST_NAME = "manifest.json"
MEDIA_DIR = "media"
RESPONSES_NAME = "responses.sqlite"
QUESTIONS = ("quality", "sync")
KINDS = ("model", "reference", "anchor")
CONTROLS = ("reference", "anchor")
RATING_RANGE = (1, 10)
ID_PATTERN = re.compile(r"[0-9a-f]{16}")

DEFAULT_TEXTS = {
    "title": "Listening test: sound for video",
    "intro": "You will watch {count} short video clips with sound, one per page, and rate the sound of each "
             "on two questions from 1 to 10. It takes about {minutes} minutes. Please use headphones in a "
             "quiet place.",
    "consent": "Taking part is voluntary. We store only your ratings, when you gave them and a random "
               "participant number: no name, e-mail, IP address or other personal data. You may stop at any "
               "time; the ratings you gave until then are kept. The ratings evaluate sound generated for "
               "video.",
    "consent_checkbox": "I have read the above and agree to take part.",
    "start": "Start",
    "progress": "Clip {n} of {total}",
    "play": "Play the clip",
    "replay": "Play again",
    "play_hint": "Watch the clip to the end once; then the questions open.",
    "questions": [
        {"id": "quality", "text": "How good is the overall quality of the audio?",
         "low": "very poor", "high": "excellent"},
        {"id": "sync", "text": "How synchronous is the sound with what you see?",
         "low": "not at all", "high": "perfectly"},
    ],
    "submit": "Save and continue",
    "saving": "Saving…",
    "save_failed": "Your answer could not be saved. Check the connection and press the button again.",
    "thanks": "Thank you! All your answers are saved. You may close this page.",
}


def new_id() -> str:
    """A random opaque id (16 hex digits) that says nothing about what it names."""
    return secrets.token_hex(8)


def manifest_path(study) -> str:
    return os.path.join(os.fspath(study), MANIFEST_NAME)


def media_file(study, item_id: str) -> str:
    """``STUDY/media/<id>.mp4``: the only place a condition's media file lives."""
    return os.path.join(os.fspath(study), MEDIA_DIR, f"{item_id}.mp4")


def new_manifest() -> dict:
    """An empty manifest being built, with the default texts."""
    return {"format": FORMAT, "study_id": new_id(), "status": "building",
            "texts": json.loads(json.dumps(DEFAULT_TEXTS)), "loudness": {}, "models": [], "clips": []}


def read_manifest(study) -> dict | None:
    """The manifest as written, or ``None`` when there is none. One-line ``ValueError`` for a file
    that is not a study manifest."""
    path = manifest_path(study)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON (line {err.lineno}: {err.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a foleygan survey manifest (format {FORMAT!r} expected)")
    return data


def save_manifest(study, manifest: dict) -> None:
    write_json(manifest_path(study), manifest)


def merged_texts(texts, path: str = MANIFEST_NAME) -> dict:
    """The manifest's ``texts`` over the defaults; one-line ``ValueError`` naming ``path`` for a
    text that is not a string or questions that are not the two fixed ids."""
    texts = texts if isinstance(texts, dict) else {}
    out = dict(DEFAULT_TEXTS)
    for key, value in texts.items():
        if key != "questions" and key in DEFAULT_TEXTS and not isinstance(value, str):
            raise ValueError(f"{path}: texts.{key} must be a string")
        out[key] = value
    questions = out["questions"]
    ids = [q.get("id") for q in questions] if isinstance(questions, list) and all(
        isinstance(q, dict) for q in questions) else None
    if ids is None or sorted(ids) != sorted(QUESTIONS):
        raise ValueError(f"{path}: texts.questions must be a list of two questions with ids "
                         f"{' and '.join(QUESTIONS)} (only their wording may change)")
    for q in questions:
        for field in ("text", "low", "high"):
            if not isinstance(q.get(field, ""), str):
                raise ValueError(f"{path}: texts.questions[{q['id']}].{field} must be a string")
        q.setdefault("low", "")
        q.setdefault("high", "")
    return out


def load_study(study) -> dict:
    """The complete manifest of ``study`` with its texts merged over the defaults; one-line
    ``ValueError`` when there is no finished study, or a condition's media file is missing."""
    path = manifest_path(study)
    manifest = read_manifest(study)
    if manifest is None:
        raise ValueError(f"{path}: no study here — build one with `foleygan survey build {study} --videos …`")
    if manifest.get("status") != "complete":
        raise ValueError(f"{path}: the build is not finished — rerun the same `foleygan survey build` to resume it")
    manifest["texts"] = merged_texts(manifest.get("texts"), path)
    for item in items(manifest):
        if not ID_PATTERN.fullmatch(item["id"]):
            raise ValueError(f"{path}: condition id {item['id']!r} is not an opaque id")
        media = media_file(study, item["id"])
        if not os.path.isfile(media):
            raise ValueError(f"{media}: media file missing — rerun `foleygan survey build` to make it")
    return manifest


def items(manifest: dict) -> list[dict]:
    """Every page a participant rates (one per clip and condition): ``{"id", "clip", "class",
    "condition", "kind", "duration"}`` in manifest order."""
    out = []
    for clip in manifest.get("clips", []):
        for cond in clip["conditions"]:
            out.append({"id": cond["id"], "clip": clip["key"], "class": clip["class"],
                        "condition": cond["condition"], "kind": cond["kind"], "duration": float(clip["duration"])})
    return out
