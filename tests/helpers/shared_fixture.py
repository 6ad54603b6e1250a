"""Build an expensive fixture once per test run instead of once per pytest-xdist worker.

`make test` runs two workers that steal tests from each other, so the tests of one module often
end up on both workers and a module-scoped fixture (a trained run, an export) is built twice. A
fixture built with ``built_once`` is built by the first worker that asks for it, under a file
lock; the other worker waits for it and reads the same folder. Only for fixtures that the tests
read and never change.
"""

import contextlib
import fcntl
import json
import os
import shutil


@contextlib.contextmanager
def _exclusive(lock_path):
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def built_once(tmp_path_factory, name, build):
    """``build(root: pathlib.Path) -> dict`` (JSON-serialisable, e.g. paths under ``root``) runs
    once per test run; every caller gets its result. A build that failed is started afresh by the
    next caller, so its error shows in each test that needs it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent                      # the folder the workers of one run share
    root, done = base / f"shared-{name}", base / f"shared-{name}.json"
    with _exclusive(str(base / f"shared-{name}.lock")):
        if done.exists():
            return json.loads(done.read_text())
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        result = build(root)
        done.write_text(json.dumps(result))
        return result
