"""``foleygan survey serve``: the listening test's web app (Flask) and its HTTP server (Werkzeug).

Routes::

    GET  /                                  the page (:mod:`.page`)
    GET  /api/study                         texts, number of pages, estimated minutes, study id
    POST /api/participants                  {"consent": true} → 201 {"participant", "token", "state"}
    GET  /api/participants/<id>             → the participant's state        (header X-Token)
    POST /api/participants/<id>/plays       {"item"} → the clip was played to its end
    POST /api/participants/<id>/answers     {"item", "quality", "sync"} → committed, then the state
    GET  /media/<item id>.mp4               a condition's file, with HTTP Range (206 partial content)

A state is ``{"position", "total", "done", "item": {"id", "played"} | null}``. Errors are JSON
``{"error": …}`` with a 4xx status and store nothing: 400 bad JSON or rating, 403 a token that is
not the participant's, 404 unknown participant, clip id or media, 409 an answer out of turn or
before the clip was played, 413 a body over :data:`MAX_BODY` bytes. Media are looked up by their
opaque id in the manifest and sent from ``STUDY/media/`` only.

The server binds to ``127.0.0.1`` by default (this machine only); ``--host 0.0.0.0`` serves a LAN
(docs/survey.md). It is Werkzeug's threaded WSGI server, one thread per request.
"""

from __future__ import annotations

import math
import os
import sys

from foleygan_tf.survey import manifest as mf
from foleygan_tf.survey.page import PAGE_HTML
from foleygan_tf.survey.store import ResponseStore, StoreError

__all__ = ["create_app", "make_server", "serve", "MAX_BODY"]

MAX_BODY = 16 * 1024            # bytes: an answer is ~60
SECONDS_PER_PAGE = 25.0         # time to answer, on top of the clip, for the intro's estimate


def create_app(study):
    """The Flask app of the finished study ``study`` (one-line ``ValueError`` when it is not)."""
    from flask import Flask, Response, abort, jsonify, request, send_file
    from werkzeug.exceptions import HTTPException

    study = os.path.abspath(os.fspath(study))
    manifest = mf.load_study(study)
    pages = mf.items(manifest)
    store = ResponseStore(os.path.join(study, mf.RESPONSES_NAME), pages)
    media = {item["id"]: mf.media_file(study, item["id"]) for item in pages}
    minutes = max(1, math.ceil(sum(p["duration"] + SECONDS_PER_PAGE for p in pages) / 60.0))
    public = {"study_id": manifest["study_id"], "texts": manifest["texts"], "count": len(pages), "minutes": minutes}

    app = Flask("foleygan_survey")
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, SURVEY_PAGES=len(pages))

    def body() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise StoreError("the body must be a JSON object")
        return data

    @app.errorhandler(StoreError)
    def store_error(err):
        return jsonify(error=str(err)), err.status

    @app.errorhandler(HTTPException)
    def http_error(err):
        return jsonify(error=err.description or err.name), err.code

    @app.after_request
    def no_store(response):
        if request.path.startswith("/api/") or request.path == "/":
            response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.get("/")
    def page():
        return Response(PAGE_HTML, mimetype="text/html")

    @app.get("/api/study")
    def study_info():
        return jsonify(public)

    @app.post("/api/participants")
    def new_participant():
        if body().get("consent") is not True:
            raise StoreError("consent is required to take part")
        participant, token = store.new_participant()
        return jsonify(participant=participant, token=token, state=store.state(participant, token)), 201

    @app.get("/api/participants/<participant>")
    def participant_state(participant):
        return jsonify(store.state(participant, request.headers.get("X-Token")))

    @app.post("/api/participants/<participant>/plays")
    def played(participant):
        return jsonify(store.record_play(participant, request.headers.get("X-Token"), body().get("item")))

    @app.post("/api/participants/<participant>/answers")
    def answer(participant):
        data = body()
        result = store.record_answer(participant, request.headers.get("X-Token"), data.get("item"),
                                     data.get("quality"), data.get("sync"))
        return jsonify(saved=True, duplicate=result["duplicate"], state=result["state"])

    @app.get("/media/<name>")
    def media_file(name):
        item_id, ext = os.path.splitext(name)
        if ext != ".mp4" or item_id not in media:
            abort(404, "no such media")
        return send_file(media[item_id], mimetype="video/mp4", conditional=True, max_age=3600)

    return app


def make_server(study, host: str = "127.0.0.1", port: int = 8765):
    """A threaded Werkzeug server of ``study`` (not started); ``server.port`` is the bound port
    (``port=0``: a free one). One-line ``ValueError`` when the address cannot be bound."""
    import logging

    from werkzeug.serving import make_server as werkzeug_server

    app = create_app(study)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # no line per request
    try:
        return werkzeug_server(host, int(port), app, threaded=True)
    except OSError as err:
        raise ValueError(f"{host}:{port}: cannot listen ({err.strerror or err})") from None
    except SystemExit:   # werkzeug exits on a port in use
        raise ValueError(f"{host}:{port}: cannot listen (address already in use)") from None


def _stop(signum, frame):
    raise KeyboardInterrupt


def serve(study, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve ``study`` until Ctrl-C or SIGTERM; prints the URL first."""
    import signal

    server = make_server(study, host, port)
    print(f"Listening test {study}: {server.app.config['SURVEY_PAGES']} pages per participant at "
          f"http://{host}:{server.port}/ — answers go to {os.path.join(os.fspath(study), mf.RESPONSES_NAME)}; "
          "Ctrl-C stops.", flush=True)
    if host in ("0.0.0.0", "::"):
        print(f"Bound to every interface: participants on the LAN open http://<this machine's address>:{server.port}/",
              flush=True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
    finally:
        server.server_close()
