"""The benchmarks' conventions (bench/_common.py), so that none can rot unseen: every script in
bench/ has a small mode CI runs (`make bench-small`), and a missing corpus skips it cleanly.

Running the benchmarks is `make bench-small`'s job, not the tests'; here each script is imported
and asked for `--help` in this process (its argument parser runs before any work), which is fast.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest
from repo import ROOT

BENCH = ROOT / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))


@pytest.fixture
def bench_on_path(monkeypatch):
    """bench/ first on sys.path, as for a script run as `python bench/x.py` (it imports _common);
    sys.path as it was afterwards, even when a script inserted bench/ itself."""
    monkeypatch.setattr(sys, "path", [str(BENCH), *sys.path])


def test_bench_holds_benchmarks():
    assert len(SCRIPTS) >= 5, f"found {len(SCRIPTS)} benchmarks in {BENCH}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_benchmark_has_a_small_mode(script, bench_on_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location(f"bench_script_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert hasattr(module, "main"), f"{script.name}: a benchmark defines main() (see bench/_common.py)"
    monkeypatch.setattr(sys, "argv", [str(script), "--help"])
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    assert exit_info.value.code in (0, None)
    assert "--small" in capsys.readouterr().out, (
        f"{script.name} has no --small option: every benchmark needs a small mode that CI runs "
        "(add_small_flag in bench/_common.py)")


def test_runner_finds_every_benchmark_and_no_helper(bench_on_path):
    import _run_small

    found = _run_small.benchmarks()
    assert found == SCRIPTS
    assert not any(p.name.startswith("_") for p in found)


@pytest.mark.parametrize("small, code", [(True, 0), (False, 1)])
def test_a_missing_corpus_skips_with_one_line(bench_on_path, monkeypatch, tmp_path, capsys, small, code):
    import _common

    monkeypatch.setattr(_common, "SHARED", tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        _common.shared_path("sanad_khaleej.jsonl.gz", small)
    assert exit_info.value.code == code
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("skipped: ") and str(tmp_path) in out[0]


def test_a_small_run_without_the_corpora_exits_0(tmp_path):
    """End to end on the cheapest benchmark: what CI sees on a machine without ../shared/data."""
    env = {**os.environ, "KHABAR_SHARED_DATA": str(tmp_path / "absent")}
    script = str(BENCH / "normalize.py")
    small = subprocess.run([sys.executable, script, "--small"], env=env, capture_output=True, text=True, timeout=120)
    assert small.returncode == 0, small.stderr
    assert small.stdout.startswith("skipped: ") and "absent" in small.stdout
    full = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True, timeout=120)
    assert full.returncode == 1 and full.stdout.startswith("skipped: ")


def test_config_corpora_follow_khabar_shared_data(bench_on_path, monkeypatch, tmp_path):
    import _common

    monkeypatch.setattr(_common, "SHARED", tmp_path)
    overrides = _common.shared_data_overrides(ROOT / "configs" / "ans_stance_tfidf_tune.yaml")  # via its base:
    assert len(overrides) == 1 and overrides[0].startswith("data.path=")
    assert json.loads(overrides[0].partition("=")[2]) == [str(tmp_path / "ans_stance" / f"{s}.csv")
                                                          for s in ("train", "dev", "test")]
    assert _common.shared_data_overrides(ROOT / "configs" / "sample_topic_tfidf.yaml") == []
