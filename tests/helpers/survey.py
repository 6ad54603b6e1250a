"""Shared pieces of the listening-test tests: a study built once per session from synthetic clips,
a live server on a free port, and an HTTP participant."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import threading

import requests

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_MODELS = os.path.join(REPO, "saved_models", "default")
CLIP_SECONDS = 1.0
_TEMPLATE = {}


def make_clips(folder, classes=("footstep", "clock"), seconds=CLIP_SECONDS, seed=3) -> list[str]:
    """``foleygan synth-data`` clips (H.264 + AAC, 64 px, 24 fps) with their sidecars."""
    from foleygan_tf.data.synth import synthesize_dataset

    sidecars = synthesize_dataset(str(folder), 1, seconds=seconds, fps=24, size=64, seed=seed,
                                  classes=list(classes), workers=1, progress=False)
    return [os.path.join(str(folder), s["class"], f"{s['class']}_0000.mp4") for s in sidecars]


def study_template(tmp_path_factory) -> str:
    """A study built once per test session: 2 synthetic clips (footstep, clock) × models ``a`` and
    ``b`` (both the bundled default) + reference + anchor = 8 pages. Copy it before serving."""
    if "path" not in _TEMPLATE:
        from foleygan_tf.survey.build import build_study

        root = tmp_path_factory.mktemp("survey_template")
        videos = make_clips(root / "clips")
        build_study(str(root / "study"), videos, [("a", DEFAULT_MODELS), ("b", DEFAULT_MODELS)], progress=False)
        _TEMPLATE["path"] = str(root / "study")
    return _TEMPLATE["path"]


def fresh_study(template: str, folder) -> str:
    """A copy of the built study without answers."""
    out = os.path.join(str(folder), "study")
    shutil.copytree(template, out, ignore=shutil.ignore_patterns("responses.sqlite*"))
    return out


@contextlib.contextmanager
def live_server(study):
    """``foleygan survey serve`` in a thread on a free loopback port; yields the base URL."""
    from foleygan_tf.survey.server import make_server

    server = make_server(study, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class Participant:
    """A participant speaking the page's HTTP API (what the page's JavaScript sends)."""

    def __init__(self, base: str, session: requests.Session | None = None):
        self.base, self.http = base, session or requests.Session()
        r = self.http.post(f"{base}/api/participants", json={"consent": True}, timeout=30)
        assert r.status_code == 201, r.text
        data = r.json()
        self.id, self.token, self.state = data["participant"], data["token"], data["state"]

    def url(self, what: str = "") -> str:
        return f"{self.base}/api/participants/{self.id}{what}"

    def post(self, what: str, body, token: str | None = None) -> requests.Response:
        return self.http.post(self.url(what), json=body, headers={"X-Token": self.token if token is None else token}, timeout=30)

    def refresh(self) -> dict:
        r = self.http.get(self.url(), headers={"X-Token": self.token}, timeout=30)
        r.raise_for_status()
        self.state = r.json()
        return self.state

    def play(self) -> None:
        r = self.post("/plays", {"item": self.state["item"]["id"]})
        assert r.status_code == 200, r.text

    def answer(self, quality: int, sync: int) -> requests.Response:
        """Answer the current page (after playing it); on 200 the state moves on."""
        item = self.state["item"]["id"]
        r = self.post("/answers", {"item": item, "quality": quality, "sync": sync})
        if r.status_code == 200:
            self.state = r.json()["state"]
        return r


def stored_answers(study) -> list[tuple]:
    """``(participant public id, item, quality, sync)`` of every stored answer."""
    with contextlib.closing(sqlite3.connect(os.path.join(study, "responses.sqlite"))) as db:
        return db.execute("SELECT p.public_id, a.item, a.quality, a.sync FROM answers a "
                          "JOIN participants p ON p.id = a.participant ORDER BY p.id, a.position").fetchall()
