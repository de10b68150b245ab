"""README "Python API": every ```python block under that heading runs, in order, in one namespace,
in a temporary folder holding the sample runs (trained by the session fixtures) and links to the
repository's configs and data, so the examples stay true as the API changes."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil

from repo import ROOT


def api_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Python API\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end != -1 else len(text)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_readme_has_python_api_examples():
    blocks = api_examples()
    assert len(blocks) >= 3
    for name in ("khabar.load", "khabar.train", "khabar.evaluate", "khabar.compare", "khabar.normalize",
                 ".predict(", ".explain("):
        assert any(name in block for block in blocks), name


def test_the_readme_python_api_examples_run(topic_run, stance_run, tmp_path, monkeypatch):
    for name in ("configs", "data"):
        os.symlink(ROOT / name, tmp_path / name)
    for run in (topic_run, stance_run):
        source = os.path.normpath(run.run_dir)
        experiment = os.path.basename(os.path.dirname(source))
        shutil.copytree(source, tmp_path / "experiments" / experiment / os.path.basename(source))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in api_examples():
            exec(compile(block, "README.md (Python API)", "exec"), namespace)
    printed = out.getvalue()
    assert printed.count("\n") >= 8, printed
    run = namespace["run"]
    assert os.path.isdir(run.directory) and str(tmp_path) in os.path.abspath(run.directory)
    records = namespace["model"].predict(["فاز الفريق"])
    assert records[0]["id"] == "text-1" and "abstained" in records[0]
