"""Serving under load, short version of benchmarks/bench_serving_load.py: the exported default
generator loaded once, 8 client threads × 3 requests each — no errors, every answer finite and
equal (bitwise) to the same request computed sequentially."""

import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _bench():
    spec = importlib.util.spec_from_file_location("bench_serving_load",
                                                  os.path.join(REPO, "benchmarks", "bench_serving_load.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_eight_threads_no_errors_same_answers(models_dir, tf, tmp_path):
    bench = _bench()
    r = bench.run_load(os.path.join(models_dir, "generator"), threads=8, requests=24, check_every=1, baseline=4)
    assert r["errors"] == 0, r["error_messages"]
    assert r["completed"] == 24 and r["checked_answers"] == 24 and r["mismatches"] == 0
    assert 0 < r["latency_ms"]["p50"] <= r["latency_ms"]["p99"] <= r["latency_ms"]["max"]
    assert r["rss_mb"]["after_load"] > 0
    # the README writer replaces only its own section
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\n## Other\n\nkeep me\n")
    bench.write_readme_section(str(readme), bench.readme_section(r))
    bench.write_readme_section(str(readme), bench.readme_section(r))
    text = readme.read_text()
    assert text.count(bench.SECTION) == 1 and text.startswith("# Benchmarks\n\n## Other\n\nkeep me\n")
