"""The README's shell examples, run in order as a new user would copy them (slow).

Where: a fresh temporary folder holding copies of the repository's `configs/` and `data/`, with
`../shared/data` pointing at the shared corpora when they are present; so `experiments/`, output
files and any relative path land there, never in the checkout. `khabar` is this checkout's (the
venv's entry point with `src/` first on the path).

What runs: every ```sh block, each line a command (a trailing `\\` continues it; in a transcript
block only the `$ ` lines are commands), with bash (pipes and redirections work), in README order,
so a later block may use what an earlier one trained. A block right after
`<!-- readme-test: skip (reason) -->` is skipped (GPU, Hub, servers, long searches). A command
that needs the shared corpora (it names `../shared`, or a config, or the experiment of a config,
whose data live there) is skipped when they are absent; CI has them beside the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from repo import ROOT, shared_data

SKIP = re.compile(r"<!--\s*readme-test:\s*skip\s*\(([^)]*)\)\s*-->")
COMMAND_TIMEOUT = 1800  # a bound for a hung command only; SANAD's TF-IDF fit takes about a minute


def readme_commands(text: str) -> list[tuple[int, str, str | None]]:
    """(line number, command, reason to skip or None) of every ```sh block, in order."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() != "```sh":
            i += 1
            continue
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        skipped = SKIP.search(before)
        start, i = i + 1, i + 1
        body = []
        while lines[i].strip() != "```":
            body.append((i + 1, lines[i]))
            i += 1
        transcript = any(line.startswith("$ ") for _, line in body)
        pending, first = "", None
        for number, line in body:
            if transcript:
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            if not line.strip() and not pending:
                continue
            first = first or number
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            out.append((first, pending + line, skipped.group(1) if skipped else None))
            pending, first = "", None
        i += 1
    return out


def shared_names() -> set[str]:
    """Configs whose data live in ../shared (their file stems and experiment names)."""
    names = set()
    for path in (ROOT / "configs").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        config = yaml.safe_load(text) or {}
        base = config.get("base")
        if "../shared" in text or (base and "../shared" in (ROOT / "configs" / base).read_text(encoding="utf-8")):
            names |= {path.stem, str(config.get("name") or path.stem)}
    return names


def needs_shared(command: str, names: set[str]) -> bool:
    return "../shared" in command or any(re.search(rf"\b{re.escape(n)}\b", command) for n in names)


def test_parser_reads_blocks_continuations_transcripts_and_skips():
    text = ("<!-- readme-test: skip (GPU) -->\n```sh\nkhabar train a.yaml\n```\n\n```sh\nkhabar x \\\n  --y 1\n```\n"
            "```sh\n$ khabar explain m --top 2\noutput line\n```\n")
    assert readme_commands(text) == [(3, "khabar train a.yaml", "GPU"), (7, "khabar x    --y 1", None),
                                     (11, "khabar explain m --top 2", None)]


@pytest.mark.slow
def test_every_readme_example_runs(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    for folder in ("configs", "data"):
        shutil.copytree(ROOT / folder, work / folder)
    shared = shared_data()
    have_shared = shared.is_dir()
    if have_shared:
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "data").symlink_to(shared.resolve(), target_is_directory=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(ROOT / "src"), "KHABAR_SHARED_DATA": str(tmp_path / "shared" / "data")}
    names = shared_names()
    ran, skipped = [], []
    for number, command, reason in readme_commands((ROOT / "README.md").read_text(encoding="utf-8")):
        if reason or (not have_shared and needs_shared(command, names)):
            skipped.append((number, command, reason or "needs ../shared/data"))
            continue
        print(f"README line {number}: {command}", flush=True)  # progress in a CI log, even if killed
        proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=work, env=env, capture_output=True,
                              text=True, timeout=COMMAND_TIMEOUT)
        assert proc.returncode == 0, (f"README line {number}: {command}\nexit {proc.returncode}\n"
                                      f"stdout: {proc.stdout[-1500:]}\nstderr: {proc.stderr[-3000:]}")
        ran.append(number)
    print(f"README: {len(ran)} commands ran, {len(skipped)} skipped:",
          *(f"  line {n}: {c[:60]} ({why})" for n, c, why in skipped), sep="\n")
    assert ran, "no README command ran"
    assert not (ROOT / "labels.csv").exists()
