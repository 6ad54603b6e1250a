"""`foleygan survey serve` over HTTP: the participant API, media with Range, 8 participants at
once, bad input refused with 4xx and nothing stored, and a SIGKILLed server that loses no
acknowledged answer."""

import contextlib
import http.client
import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.helpers.survey import Participant, fresh_study, live_server, stored_answers, study_template

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def study(tmp_path_factory, tmp_path):
    return fresh_study(study_template(tmp_path_factory), tmp_path)


def _counts(study):
    with contextlib.closing(sqlite3.connect(os.path.join(study, "responses.sqlite"))) as db:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("participants", "plays", "answers")}


def _raw_get(base, path):
    """GET ``path`` exactly as written (no client-side normalisation of ``..`` or escapes)."""
    host, port = base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest("GET", path, skip_host=False)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_a_participant_over_http_gets_a_private_random_order_and_seekable_media(study):
    from foleygan_tf.survey.manifest import items, load_study

    pages = items(load_study(study))
    with live_server(study) as base:
        page = requests.get(base + "/", timeout=30)
        assert page.status_code == 200 and "<video" in page.text and "X-Token" in page.text
        info = requests.get(base + "/api/study", timeout=30).json()
        assert info["count"] == len(pages) == 8 and [q["id"] for q in info["texts"]["questions"]] == ["quality", "sync"]
        text = json.dumps(info)
        assert not any(name in text for name in ("reference", "anchor", '"a"', "footstep_0000"))
        assert requests.post(base + "/api/participants", json={"consent": False}, timeout=30).status_code == 400

        orders = []
        for _ in range(4):
            p = Participant(base)
            assert p.state == {"position": 0, "total": 8, "done": False, "item": p.state["item"]}
            order = []
            while not p.state["done"]:
                order.append(p.state["item"]["id"])
                assert p.answer(5, 5).status_code == 409          # not played yet
                p.play()
                assert p.refresh()["item"]["played"]
                assert p.answer(4 + len(order) % 6, 9).status_code == 200
            orders.append(order)
            assert sorted(order) == sorted(i["id"] for i in pages)
            clips = [next(i["clip"] for i in pages if i["id"] == x) for x in order]
            assert all(a != b for a, b in zip(clips, clips[1:])), "a clip followed itself"
        assert len({tuple(o) for o in orders}) > 1, "every participant got the same order"

        media = f"{base}/media/{pages[0]['id']}.mp4"
        full = requests.get(media, timeout=30)
        assert full.status_code == 200 and full.headers["Content-Type"] == "video/mp4"
        assert full.headers.get("Accept-Ranges") == "bytes"
        part = requests.get(media, headers={"Range": "bytes=100-199"}, timeout=30)
        assert part.status_code == 206 and part.content == full.content[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(full.content)}"
        tail = requests.get(media, headers={"Range": "bytes=-50"}, timeout=30)
        assert tail.status_code == 206 and tail.content == full.content[-50:]
        assert full.content[4:8] == b"ftyp"
    assert len(stored_answers(study)) == 4 * 8


def test_bad_input_is_refused_with_4xx_stores_nothing_and_the_server_keeps_serving(study):
    from foleygan_tf.survey.manifest import items, load_study

    pages = {i["id"] for i in items(load_study(study))}
    with live_server(study) as base:
        alice, bob = Participant(base), Participant(base)
        alice.play()
        item = alice.state["item"]["id"]
        before = _counts(study)
        other = next(i for i in sorted(pages) if i != item)
        bad = [
            ("rating 0", "/answers", {"item": item, "quality": 0, "sync": 5}, None, 400),
            ("rating 11", "/answers", {"item": item, "quality": 5, "sync": 11}, None, 400),
            ("a string", "/answers", {"item": item, "quality": "7", "sync": 5}, None, 400),
            ("a fraction", "/answers", {"item": item, "quality": 7.5, "sync": 5}, None, 400),
            ("a boolean", "/answers", {"item": item, "quality": True, "sync": 5}, None, 400),
            ("a missing rating", "/answers", {"item": item, "quality": 7}, None, 400),
            ("an unknown clip id", "/answers", {"item": "0123456789abcdef", "quality": 5, "sync": 5}, None, 404),
            ("a clip id that is a path", "/answers", {"item": "../manifest.json", "quality": 5, "sync": 5}, None, 404),
            ("another clip than the current", "/answers", {"item": other, "quality": 5, "sync": 5}, None, 409),
            ("another participant's token", "/answers", {"item": item, "quality": 5, "sync": 5}, bob.token, 403),
            ("no token", "/answers", {"item": item, "quality": 5, "sync": 5}, "", 403),
            ("another participant's token (play)", "/plays", {"item": item}, bob.token, 403),
            ("an unknown clip id (play)", "/plays", {"item": "fedcba9876543210"}, None, 404),
            ("a JSON list", "/answers", [item, 5, 5], None, 400),
        ]
        for name, what, body, token, status in bad:
            r = alice.post(what, body, token=token)
            assert r.status_code == status, (name, r.status_code, r.text)
            assert "error" in r.json(), name
        r = alice.http.post(alice.url("/answers"), data=b"{not json", headers={"X-Token": alice.token,
                                                                               "Content-Type": "application/json"})
        assert r.status_code == 400
        r = alice.http.post(alice.url("/answers"), data=b'{"item": "' + b"x" * 2_000_000 + b'"}',
                            headers={"X-Token": alice.token, "Content-Type": "application/json"})
        assert r.status_code == 413
        unknown = requests.get(f"{base}/api/participants/0000000000000000", headers={"X-Token": alice.token})
        assert unknown.status_code == 404
        assert requests.get(alice.url(), headers={"X-Token": bob.token}).status_code == 403
        for path in ["/media/../manifest.json", "/media/..%2Fmanifest.json", "/media/%2e%2e%2fmanifest.json",
                     "/media/%2E%2E%2Fresponses.sqlite", "/media/..%2F..%2F..%2Fetc%2Fpasswd",
                     "/media/..%252Fmanifest.json", "/media/manifest.json", "/media/%2e%2e",
                     f"/media/{item}.mp4%2F..%2F..%2Fmanifest.json", f"/media/{item}", "/media/build%2Fplan.json",
                     "/../manifest.json", "/%2e%2e/manifest.json", "/responses.sqlite"]:
            status, content = _raw_get(base, path)
            assert 400 <= status < 500, (path, status)
            assert b"study_id" not in content and b"SQLite" not in content and b"root:" not in content, path
            assert requests.get(base + "/api/study", timeout=30).status_code == 200, f"server down after {path}"
        assert _counts(study) == before, "a refused request stored something"
        assert alice.answer(6, 7).status_code == 200          # and it still takes good answers
        assert requests.post(base + "/api/participants", json={"consent": True}).status_code == 201
    assert _counts(study)["answers"] == 1


def test_eight_participants_answering_at_once_store_every_answer_once(study):
    n = 8
    barrier = threading.Barrier(n)
    sent, failures = {}, []

    def participant(k, base):
        try:
            barrier.wait(30)
            p = Participant(base)
            mine = sent.setdefault(p.id, [])
            while not p.state["done"]:
                p.play()
                item = p.state["item"]["id"]
                quality, sync = 1 + (k + len(mine)) % 10, 10 - (k * len(mine)) % 10
                r = p.answer(quality, sync)
                assert r.status_code == 200 and not r.json()["duplicate"], r.text
                again = p.post("/answers", {"item": item, "quality": quality, "sync": sync})
                assert again.status_code == 200 and again.json()["duplicate"], again.text    # a resend
                mine.append((item, quality, sync))
        except Exception as err:  # reported below
            failures.append(repr(err))

    with live_server(study) as base:
        threads = [threading.Thread(target=participant, args=(k, base)) for k in range(n)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        seconds = time.perf_counter() - t0
    assert not failures, failures
    stored = stored_answers(study)
    assert len(sent) == n and len(stored) == n * 8, (len(stored), seconds)
    assert sorted(stored) == sorted((p, *a) for p, answers in sent.items() for a in answers)
    with contextlib.closing(sqlite3.connect(os.path.join(study, "responses.sqlite"))) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM participants WHERE finished_at IS NOT NULL").fetchone()[0] == n


class _Server:
    """`foleygan survey serve STUDY --port 0` as a child process."""

    def __init__(self, study):
        self.proc = subprocess.Popen([sys.executable, "-m", "foleygan_tf.cli", "survey", "serve", study, "--port", "0"],
                                     cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in self.proc.stdout], daemon=True).start()
        try:
            line = lines.get(timeout=60)
        except queue.Empty:
            self.proc.kill()
            raise AssertionError("the server printed nothing in 60 s") from None
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        self.base = f"http://127.0.0.1:{match.group(1)}"


def test_a_sigkilled_server_loses_no_acknowledged_answer_and_participants_resume(study):
    server = _Server(study)
    try:
        first = Participant(server.base)
        acked = {}
        for _ in range(3):
            first.play()
            item = first.state["item"]["id"]
            assert first.answer(7, 8).status_code == 200
            acked[(first.id, item)] = (7, 8)
        first.play()   # the fourth clip played, not answered yet
        stop = threading.Event()
        lock = threading.Lock()
        participants = [Participant(server.base) for _ in range(4)]

        def hammer(p):
            with contextlib.suppress(requests.RequestException):
                while not stop.is_set() and not p.state["done"]:
                    p.play()
                    item = p.state["item"]["id"]
                    r = p.answer(3, 4)
                    if r.status_code == 200:
                        with lock:
                            acked[(p.id, item)] = (3, 4)

        threads = [threading.Thread(target=hammer, args=(p,)) for p in participants]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acked) < 3 + 12 and time.monotonic() < deadline:   # 12 of the 32 pages answered
            time.sleep(0.002)
        server.proc.send_signal(signal.SIGKILL)   # mid-study, requests in flight
        server.proc.wait(30)
        stop.set()
        for t in threads:
            t.join(60)
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    assert server.proc.returncode == -signal.SIGKILL
    assert len(acked) >= 3 + 12, f"killed before the participants got going ({len(acked)} answers acknowledged)"

    server = _Server(study)
    try:
        stored = {(p, i): (q, s) for p, i, q, s in stored_answers(study)}
        assert {k: stored.get(k) for k in acked} == acked, "an acknowledged answer was lost"
        first.http = requests.Session()
        first.base = server.base
        state = first.refresh()
        assert state["position"] == 3 and state["item"]["played"], state
        while not first.state["done"]:
            if not first.state["item"]["played"]:
                first.play()
            assert first.answer(5, 6).status_code == 200
        for p in participants:
            p.base = server.base
            p.refresh()
            assert p.state["position"] == sum(1 for (who, _) in stored if who == p.id)
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(30)
    with contextlib.closing(sqlite3.connect(os.path.join(study, "responses.sqlite"))) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len([1 for p, *_ in stored_answers(study) if p == first.id]) == 8


def test_serve_binds_loopback_by_default_and_refuses_an_unfinished_study(tmp_path, capsys):
    from foleygan_tf.cli import build_parser, main

    args = build_parser().parse_args(["survey", "serve", "S"])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    assert main(["survey", "serve", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no study here" in err and "manifest.json" in err
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "manifest.json").write_text(json.dumps({"format": "foleygan-survey/1", "status": "building"}))
    assert main(["survey", "serve", str(tmp_path / "s")]) == 2
    assert "not finished" in capsys.readouterr().err


def test_the_page_shows_the_consent_and_questions_edited_in_the_manifest(study, capsys):
    from foleygan_tf.cli import main

    path = os.path.join(study, "manifest.json")
    manifest = json.load(open(path))
    manifest["texts"]["consent"] = "Wir speichern nur Ihre Bewertungen."
    manifest["texts"]["questions"][0].update(text="Wie klingt es?", low="schlecht", high="sehr gut")
    del manifest["texts"]["thanks"]                       # a removed key falls back to its default
    json.dump(manifest, open(path, "w"))
    with live_server(study) as base:
        texts = requests.get(base + "/api/study", timeout=30).json()["texts"]
    assert texts["consent"] == "Wir speichern nur Ihre Bewertungen."
    assert texts["questions"][0] == {"id": "quality", "text": "Wie klingt es?", "low": "schlecht", "high": "sehr gut"}
    assert texts["thanks"].startswith("Thank you")
    manifest["texts"]["questions"][1]["id"] = "loudness"
    json.dump(manifest, open(path, "w"))
    assert main(["survey", "serve", study]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "manifest.json" in err and "quality and sync" in err
