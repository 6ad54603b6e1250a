"""``STUDY/responses.sqlite``: participants, plays and answers (the standard library's sqlite3).

The database runs in WAL mode with ``synchronous=FULL``; every write is one ``BEGIN IMMEDIATE`` …
``COMMIT`` transaction, and the server answers a request only after its commit, so an answer the
page was told was saved survives a killed server (and a power cut). Each call opens its own
connection: the web server's threads share nothing but the file.

Tables::

    participants(id, public_id, token_sha256, item_order, started_at, finished_at)
    plays(participant, item, played_at)                         -- the clip was watched to its end
    answers(participant, item, position, clip, class, condition, kind, quality, sync, answered_at)

A participant is anonymous: a random ``public_id`` and the SHA-256 of a random secret token that
only their browser holds; nothing else about them (no name, address, IP or browser) is stored.
``item_order`` is their own random order of the study's pages (a JSON list of opaque ids). An
answer is accepted only for the participant's next unanswered page, after that page's clip was
played to its end, with integer ratings 1–10; the primary key ``(participant, item)`` stores each
answer once.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import json
import os
import random
import secrets
import sqlite3

from foleygan_tf.survey.manifest import RATING_RANGE

__all__ = ["ResponseStore", "StoreError", "NotFound", "Forbidden", "Conflict", "check_rating"]

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS participants (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    token_sha256 TEXT NOT NULL,
    item_order TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS plays (
    participant INTEGER NOT NULL REFERENCES participants(id),
    item TEXT NOT NULL,
    played_at TEXT NOT NULL,
    PRIMARY KEY (participant, item)
);
CREATE TABLE IF NOT EXISTS answers (
    participant INTEGER NOT NULL REFERENCES participants(id),
    item TEXT NOT NULL,
    position INTEGER NOT NULL,
    clip TEXT NOT NULL,
    class TEXT NOT NULL,
    condition TEXT NOT NULL,
    kind TEXT NOT NULL,
    quality INTEGER NOT NULL CHECK (quality BETWEEN 1 AND 10),
    sync INTEGER NOT NULL CHECK (sync BETWEEN 1 AND 10),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (participant, item)
);
"""


class StoreError(Exception):
    """A request the store refuses; ``status`` is the HTTP status the server answers with."""

    status = 400


class NotFound(StoreError):
    status = 404


class Forbidden(StoreError):
    status = 403


class Conflict(StoreError):
    status = 409


def check_rating(value, name: str) -> int:
    """``value`` as a rating, or ``StoreError``: an integer (not a bool, float or string) in 1–10."""
    low, high = RATING_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StoreError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def shuffled_order(items: list[dict], rng: random.Random) -> list[str]:
    """A random order of the items' ids in which no clip follows itself, wherever the numbers of
    pages per clip allow that (each step draws a clip, weighted by its pages left, among those
    after which the rest can still be ordered)."""
    groups: dict[str, list[str]] = {}
    for item in items:
        groups.setdefault(item["clip"], []).append(item["id"])
    for ids in groups.values():
        rng.shuffle(ids)

    def can_follow(clip) -> bool:   # the rest, after one page of ``clip``, has an order not starting with it
        left = sum(len(g) for g in groups.values()) - 1
        return all(len(g) - (c == clip) <= (left // 2 if c == clip else (left + 1) // 2) for c, g in groups.items())

    order, last = [], None
    while any(groups.values()):
        choices = [c for c, g in groups.items() if g and c != last and can_follow(c)] or \
                  [c for c, g in groups.items() if g]
        last = rng.choices(choices, weights=[len(groups[c]) for c in choices])[0]
        order.append(groups[last].pop())
    return order


class ResponseStore:
    """The answers of one study. ``items``: the manifest's pages (``manifest.items``)."""

    def __init__(self, path, items: list[dict]):
        self.path = os.fspath(path)
        self.items = {item["id"]: item for item in items}
        self._ordered = list(items)
        self._rng = random.SystemRandom()
        with contextlib.closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))

    @contextlib.contextmanager
    def _connect(self, write: bool = False):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            if write:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            else:
                yield db
        finally:
            db.close()

    # ---- participants ----------------------------------------------------------------------
    def new_participant(self) -> tuple[str, str]:
        """A new anonymous participant with their own random order: ``(public_id, token)``."""
        public_id, token = secrets.token_hex(8), secrets.token_urlsafe(24)
        order = shuffled_order(self._ordered, self._rng)
        with self._connect(write=True) as db:
            db.execute("INSERT INTO participants (public_id, token_sha256, item_order, started_at) "
                       "VALUES (?, ?, ?, ?)", (public_id, _digest(token), json.dumps(order), _now()))
        return public_id, token

    def _participant(self, db, public_id: str, token) -> tuple[int, list[str]]:
        row = db.execute("SELECT id, token_sha256, item_order FROM participants WHERE public_id = ?",
                         (str(public_id),)).fetchone()
        if row is None:
            raise NotFound("unknown participant")
        if not isinstance(token, str) or not hmac.compare_digest(row[1], _digest(token)):
            raise Forbidden("this token is not the participant's")
        return row[0], json.loads(row[2])

    def state(self, public_id: str, token) -> dict:
        """``{"position": answered pages, "total", "done", "item": {"id", "played"} | None}``."""
        with self._connect() as db:
            pid, order = self._participant(db, public_id, token)
            return self._state(db, pid, order)

    @staticmethod
    def _state(db, pid: int, order: list[str]) -> dict:
        answered = {r[0] for r in db.execute("SELECT item FROM answers WHERE participant = ?", (pid,))}
        position = sum(1 for i in order if i in answered)
        nxt = next((i for i in order if i not in answered), None)
        item = None
        if nxt is not None:
            played = db.execute("SELECT 1 FROM plays WHERE participant = ? AND item = ?", (pid, nxt)).fetchone()
            item = {"id": nxt, "played": played is not None}
        return {"position": position, "total": len(order), "done": nxt is None, "item": item}

    def _known_item(self, item) -> dict:
        if not isinstance(item, str) or item not in self.items:
            raise NotFound("unknown clip id")
        return self.items[item]

    def record_play(self, public_id: str, token, item) -> dict:
        """The participant watched ``item``'s clip to its end (their next page). Returns the state."""
        self._known_item(item)
        with self._connect(write=True) as db:
            pid, order = self._participant(db, public_id, token)
            state = self._state(db, pid, order)
            if state["item"] is None or state["item"]["id"] != item:
                raise Conflict("this clip is not the participant's current page")
            db.execute("INSERT OR IGNORE INTO plays VALUES (?, ?, ?)", (pid, item, _now()))
            state["item"]["played"] = True
            return state

    def record_answer(self, public_id: str, token, item, quality, sync) -> dict:
        """Store the two ratings of the participant's current page, committed before returning.
        Resending the answer already stored is accepted (``"duplicate": True``); anything else
        raises ``StoreError`` and stores nothing. Returns ``{"duplicate", "state"}``."""
        info = self._known_item(item)
        quality, sync = check_rating(quality, "quality"), check_rating(sync, "sync")
        with self._connect(write=True) as db:
            pid, order = self._participant(db, public_id, token)
            stored = db.execute("SELECT quality, sync FROM answers WHERE participant = ? AND item = ?",
                                (pid, item)).fetchone()
            if stored is not None:
                if tuple(stored) != (quality, sync):
                    raise Conflict("this clip was already answered with other ratings")
                return {"duplicate": True, "state": self._state(db, pid, order)}
            state = self._state(db, pid, order)
            if state["item"] is None or state["item"]["id"] != item:
                raise Conflict("this clip is not the participant's current page")
            if not state["item"]["played"]:
                raise Conflict("the clip has not been played to its end yet")
            db.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (pid, item, state["position"], info["clip"], info["class"], info["condition"],
                        info["kind"], quality, sync, _now()))
            state = self._state(db, pid, order)
            if state["done"]:
                db.execute("UPDATE participants SET finished_at = ? WHERE id = ?", (_now(), pid))
            return {"duplicate": False, "state": state}


def read_answers(path) -> tuple[list[dict], list[dict]]:
    """``(participants, answers)`` of a responses database (read-only); ``([], [])`` without one.
    participants: ``{"participant", "started_at", "finished_at", "pages"}``; answers: one dict per
    row with ``participant`` = the public id."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        return [], []
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        db.row_factory = sqlite3.Row
        participants = [
            {"participant": r["public_id"], "started_at": r["started_at"], "finished_at": r["finished_at"],
             "pages": len(json.loads(r["item_order"]))}
            for r in db.execute("SELECT * FROM participants ORDER BY id")]
        answers = [dict(r) for r in db.execute(
            "SELECT p.public_id AS participant, a.position, a.clip, a.class, a.condition, a.kind, a.quality, "
            "a.sync, a.answered_at, a.item FROM answers a JOIN participants p ON p.id = a.participant "
            "ORDER BY p.id, a.position")]
    return participants, answers
