"""Output paths that are not plain files, and writes that fail (issue 24, classes 2 and 3).

Class 2: `runs.run_dir.staged_file` (every --output) writes through a symlink, streams into a
device or named pipe without replacing it, and gives new files and run folders the mode the
umask says; generated over umasks and kinds of path.

Class 3: a write that fails is one line and exit 2 with nothing half-written: the file-size limit
(RLIMIT_FSIZE in a child process) swept over sizes for every command that writes, a full standard
output (/dev/full), a reader that goes away (EPIPE) and a read-only file system.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from repo import ROOT

from khabar.runs.run_dir import INCOMPLETE, follow_umask, staged, staged_file

UMASKS = st.sampled_from([0o000, 0o002, 0o007, 0o022, 0o027, 0o077, 0o277])


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@settings(max_examples=20)
@given(mask=UMASKS, kind=st.sampled_from(["new", "existing", "symlink", "dangling-symlink"]))
def test_files_follow_the_umask_and_symlinks_are_written_through(tmp_path_factory, mask, kind):
    folder = tmp_path_factory.mktemp("out")
    target, path = folder / "target.jsonl", folder / "out.jsonl"
    if kind == "existing":
        path.write_text("old\n")
        path.chmod(0o640)
    if kind in ("symlink", "dangling-symlink"):
        if kind == "symlink":
            target.write_text("old\n")
            target.chmod(0o604)
        path.symlink_to(target.name)
    with umask(mask), staged_file(str(path)) as fh:
        fh.write("new\n")
    written = target if "symlink" in kind else path
    assert written.read_text() == "new\n"
    if "symlink" in kind:
        assert path.is_symlink() and os.readlink(path) == target.name  # the link kept, its target replaced
    expected = {"existing": 0o640, "symlink": 0o604}.get(kind, 0o666 & ~mask)
    assert stat.S_IMODE(written.stat().st_mode) == expected
    assert sorted(p.name for p in folder.iterdir() if INCOMPLETE in p.name) == []


@settings(max_examples=10)
@given(mask=UMASKS)
def test_result_folders_follow_the_umask(tmp_path_factory, mask):
    final = tmp_path_factory.mktemp("runs") / "run"
    with umask(mask), staged(str(final)) as tmp:
        Path(tmp, "metrics.json").write_text("{}")
    assert stat.S_IMODE(final.stat().st_mode) == 0o777 & ~mask
    with umask(mask):
        probe = final / "x"
        probe.mkdir()
        follow_umask(str(probe), folder=True)
        assert stat.S_IMODE(probe.stat().st_mode) == 0o777 & ~mask


def test_devices_and_named_pipes_are_streamed_into_never_replaced(tmp_path):
    with staged_file("/dev/null") as fh:
        fh.write("x\n")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    with staged_file(str(fifo)) as fh:
        fh.write("through the pipe\n")
    reader.join(30)
    assert got == ["through the pipe\n"] and stat.S_ISFIFO(fifo.stat().st_mode)


# ---------------------------------------------------------------- write errors, in child processes

SMALL = [{"id": f"r{i}", "text": text, "label": label} for i, (text, label) in enumerate(
    [("فاز المنتخب بالمباراة النهائية", "sport"), ("سجل اللاعب هدفين", "sport"), ("ارتفع مؤشر البورصة", "economy"),
     ("تراجع سعر النفط", "economy"), ("فاز الفريق بالكأس", "sport"), ("البنك يرفع الفائدة", "economy")] * 5)]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A tiny TF-IDF run and its data file (so that reading fits under small file-size limits);
    trained in this process: the child processes are for the commands under a limit."""
    from khabar.runs.train import train_from_config

    folder = tmp_path_factory.mktemp("small")
    data = folder / "d.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in SMALL), encoding="utf-8")
    config = folder / "c.yaml"
    config.write_text(f"name: small\ntask: topic\ndata: {{path: {data}}}\nmodel: {{kind: tfidf, min_df: 1}}\n"
                      f"output_dir: {folder / 'exp'}\n", encoding="utf-8")
    run = train_from_config(str(config)).run_dir
    assert Path(run).parent == folder / "exp" / "small"
    return {"data": str(data), "config": str(config), "run": str(run), "folder": folder}


def khabar(argv, limit=None, **kwargs):
    def preexec():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run([sys.executable, "-m", "khabar", *argv], text=True, cwd=ROOT, preexec_fn=preexec,
                          timeout=600, **streams)


def assert_one_line_or_done(done) -> None:
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode in (0, 2), (done.returncode, done.stderr[-500:])
    if done.returncode == 2:
        assert done.stderr.splitlines()[-1].startswith("khabar: error: "), done.stderr[-500:]


def leftovers(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if INCOMPLETE in p.name or p.name.endswith(".tmp")]


def commands(small, out: Path):
    return {
        "predict": ["predict", small["run"], small["data"], "-o", str(out / "p.jsonl")],
        "explain": ["explain", small["run"], small["data"], "-o", str(out / "e.jsonl")],
        "evaluate": ["evaluate", small["run"], "--data", small["data"], "--out", str(out / "eval")],
        "train": ["train", small["config"], "--set", f"output_dir={out / 'exp'}"],
        "card": ["card", small["run"]],
        "normalize": ["normalize", small["data"], "-o", str(out / "n.txt")],
        "compare": ["compare", str(Path(small["run"]).parent), "--out", str(out / "cmp"), "--resamples", "50"],
    }


LIMITS = [1, 600, 3_000, 20_000]


@pytest.mark.parametrize("command,limit", [("predict", 600), pytest.param("card", 3_000, marks=pytest.mark.slow)])
def test_a_file_size_limit_is_one_line_and_leaves_nothing_half_written(small_run, tmp_path, command, limit):
    if True:
        out = tmp_path / f"limit{limit}"
        out.mkdir()
        done = khabar(commands(small_run, out)[command], limit)
        assert_one_line_or_done(done)
        assert leftovers(out) == [] and leftovers(Path(small_run["run"])) == []


@pytest.mark.slow
@pytest.mark.parametrize("command", ["predict", "explain", "evaluate", "train", "card", "normalize", "compare", "tune"])
def test_every_writing_command_under_every_file_size_limit(small_run, tmp_path, command):
    tune = small_run["folder"] / "tune.yaml"
    tune.write_text(f"base: {small_run['config']}\ntune: {{space: {{model.C: {{log_uniform: [0.1, 10]}}}}, trials: 2}}\n")
    argv = commands(small_run, tmp_path).get(command) or ["tune", str(tune), "--set", f"output_dir={tmp_path / 'tune'}"]
    for limit in LIMITS + [60_000, 200_000]:
        done = khabar(argv, limit)
        assert_one_line_or_done(done)
        assert leftovers(tmp_path) == [] and leftovers(Path(small_run["run"])) == []


def test_a_full_standard_output_is_one_line(small_run):
    with open("/dev/full", "w") as full:
        done = khabar(["predict", small_run["run"], "--text", "فاز المنتخب"], stdout=full)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("khabar: error: standard output: cannot write (No space left on device)")


def test_a_reader_that_goes_away_is_one_line(small_run):
    lines = "\n".join(["فاز المنتخب بالمباراة"] * 3_000) + "\n"
    proc = subprocess.Popen([sys.executable, "-m", "khabar", "predict", small_run["run"], "-"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before anything is written
    _, err = proc.communicate(lines.encode(), timeout=300)
    assert proc.returncode == 2 and "broken pipe" in err.decode() and b"Traceback" not in err, err.decode()[-800:]


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "-o", "bind,ro", str(folder), str(folder)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a read-only folder here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.mark.slow
def test_a_read_only_place_is_one_line(small_run, read_only_folder):
    for name, argv in commands(small_run, read_only_folder).items():
        if name == "card":
            continue
        done = khabar(argv)
        assert done.returncode == 2, (name, done.stderr[-500:])
        assert_one_line_or_done(done)
