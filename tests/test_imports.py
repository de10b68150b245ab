"""A command imports only what it uses: checked on `sys.modules` in a fresh interpreter, never on
the clock (bench/startup.py measures the time).

Why: every `khabar` call pays its imports. A one-headline TF-IDF predict must not import torch or
transformers (skops' estimator crawl used to import torch: `models.tfidf.skops_io`), and
`normalize` needs no model library at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from repo import ROOT, SAMPLE

HEAVY = ("torch", "transformers", "datasets", "sklearn", "scipy", "pandas", "matplotlib", "skops", "optuna")


def imported_after(statements: str, stdin: str = "") -> set[str]:
    """The top-level packages of HEAVY that `statements` leave in `sys.modules` of a new Python."""
    return imported_after_each(statements, stdin=stdin)[0]


def imported_after_each(*steps: str, stdin: str = "") -> list[set[str]]:
    """`imported_after` of each step, the steps run one after the other in one new Python (one
    interpreter start for several checks): what is in `sys.modules` after step 1, after step 2, ..."""
    report = f"print('IMPORTED=' + ','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
    script = "import sys\n" + "".join(f"{step}\n{report}" for step in steps)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", script], input=stdin, capture_output=True, text=True, env=env,
                          cwd=str(ROOT))
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("IMPORTED=")]
    assert len(lines) == len(steps), done.stdout[-2000:]
    return [set(filter(None, line[len("IMPORTED="):].split(","))) for line in lines]


def cli_call(*argv: str) -> str:
    return f"from khabar.cli import main\nrc = main({list(argv)!r})\nassert rc == 0, rc"


def test_import_khabar_loads_no_library():
    assert imported_after("import khabar\nkhabar.__version__") == set()


def test_normalize_imports_no_model_library(tmp_path):
    source = tmp_path / "one.txt"
    source.write_text("أَهْلاً بِكُمْ\n", encoding="utf-8")
    assert imported_after(cli_call("normalize")) == set()  # standard input to standard output
    assert imported_after(cli_call("normalize", str(source), "-o", str(tmp_path / "out.txt"))) == set()
    assert imported_after("import khabar\nassert khabar.normalize('أَهْلاً') == 'اهلا'") == set()


def test_data_stats_imports_no_scikit_learn_or_torch():
    found = imported_after(cli_call("data", "stats", str(SAMPLE / "topic.jsonl")))
    assert not found & {"sklearn", "torch", "transformers", "matplotlib", "skops"}, found


@pytest.mark.parametrize("first, then", [("predict", "explain"), ("explain", "predict")])
def test_a_tfidf_prediction_imports_no_torch(topic_run, first, then):
    """Both commands, then the Python API, in one new Python; each command first once (the first
    one alone loads the model)."""
    after_first, after_both, after_api = imported_after_each(
        *(cli_call(command, topic_run.run_dir, "--text", "فاز الفريق بالمباراة") for command in (first, then)),
        f"import khabar\nm = khabar.load({topic_run.run_dir!r})\nprint(m.predict(['فاز الفريق']))")
    assert "sklearn" in after_first and "skops" in after_first  # it did load the model
    for found in (after_first, after_both, after_api):
        assert not found & {"torch", "transformers", "datasets", "matplotlib", "optuna"}, found


def test_a_loaded_model_still_refuses_untrusted_types(small_tfidf_dir, tmp_path):
    """skops is imported without its default trusted list (`skops_io`): a TF-IDF model loads with
    khabar's explicit list alone, and a file with another type is still refused."""
    from khabar.models.base import load_model
    from khabar.models.tfidf.skops_io import skops_io

    sio = skops_io()
    model = load_model(str(small_tfidf_dir))
    assert model.predict(["مباراة كرة القدم"])
    untrusted = sio.get_untrusted_types(file=str(Path(small_tfidf_dir) / "pipeline.skops"))
    from khabar.models.tfidf import TRUSTED_TYPES

    assert set(untrusted) <= set(TRUSTED_TYPES)
    assert json.loads((Path(small_tfidf_dir) / "khabar.json").read_text(encoding="utf-8"))["kind"] == "tfidf"
