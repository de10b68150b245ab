"""khabar.torchrun: the rank helpers. In one process every helper is a no-op that never imports
torch.distributed; under torchrun (2 CPU processes, gloo) rank 0's results and errors reach every rank."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from repo import ROOT

from khabar import torchrun
from khabar.errors import KhabarError


@pytest.fixture
def one_process(monkeypatch):
    for var in ("WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)


def test_one_process_is_rank_0_of_1(one_process, monkeypatch):
    assert (torchrun.world_size(), torchrun.rank(), torchrun.is_distributed(), torchrun.is_main()) == (1, 0, False, True)
    monkeypatch.setenv("WORLD_SIZE", "")  # set but empty, as some launchers leave it
    assert torchrun.world_size() == 1


def test_rank_and_world_size_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    assert (torchrun.world_size(), torchrun.rank(), torchrun.is_distributed(), torchrun.is_main()) == (4, 3, True, False)


def test_in_one_process_the_helpers_just_run(one_process, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert torchrun.on_main(lambda: 42, "answering") == 42
    with pytest.raises(KhabarError, match="as it was"):
        torchrun.on_main(lambda: (_ for _ in ()).throw(KhabarError("as it was")), "failing")
    torchrun.barrier()
    path = torchrun.shared_tempdir("khabar-probe-")
    assert os.path.isdir(path) and os.path.dirname(path) == str(tmp_path)
    torchrun.shutdown()  # nothing to leave


def test_one_process_never_imports_torch_distributed(tmp_path):
    script = ("import sys\nfrom khabar import torchrun\n"
              "torchrun.on_main(lambda: 1, 'x'); torchrun.barrier(); torchrun.shutdown()\n"
              "import os; os.rmdir(torchrun.shared_tempdir('khabar-probe-'))\n"
              "print('torch' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "False", done.stderr


def test_world_size_without_torchrun_is_one_line(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    for var in ("RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(torchrun, "STATE", {})
    with pytest.raises(KhabarError, match="WORLD_SIZE=2 but RANK, MASTER_ADDR, MASTER_PORT not set; start data-parallel runs with torchrun"):
        torchrun.on_main(lambda: 1, "anything")


PROBE = """\
import json, os
from khabar import torchrun as dt
from khabar.errors import KhabarError
path = dt.shared_tempdir('khabar-probe-')
out = {'rank': dt.rank(), 'pid': os.getpid(), 'path': path, 'visible': os.path.isdir(path)}
out['pid0'] = dt.on_main(os.getpid, 'reading a pid')
def fail():
    raise KhabarError('bad input seen by rank 0')
try:
    dt.on_main(fail, 'failing')
except KhabarError as exc:
    out['error'] = str(exc)
def crash():
    raise ValueError('a bug on rank 0')
try:
    dt.on_main(crash, 'crashing')
except Exception as exc:
    out['crash'] = f'{type(exc).__name__}: {exc}'
dt.barrier()
if dt.is_main():
    os.rmdir(path)
dt.shutdown()
# a file per rank: two processes printing to one pipe can interleave their lines
with open(os.path.join(os.environ['PROBE_OUT'], f'rank{dt.rank()}.json'), 'w') as fh:
    json.dump(out, fh)
"""


def test_helpers_share_rank0_results_and_errors_across_two_processes(tmp_path):
    """on_main, shared_tempdir and barrier across 2 real processes under torchrun, without any model:
    the one torchrun launch of the default run (a few seconds); `khabar train` under torchrun is in
    tests/runs/test_train_torchrun.py (slow)."""
    pytest.importorskip("torch.distributed.run", reason="torch without torch.distributed")
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PROBE_OUT": str(tmp_path / "out"), "TMPDIR": str(tmp_path / "tmp")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(probe)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    ranks = sorted((json.loads(f.read_text(encoding="utf-8")) for f in (tmp_path / "out").iterdir()), key=lambda r: r["rank"])
    assert [r["rank"] for r in ranks] == [0, 1]
    assert ranks[0]["path"] == ranks[1]["path"] and all(r["visible"] for r in ranks)
    assert ranks[0]["pid0"] == ranks[1]["pid0"] == ranks[0]["pid"] != ranks[1]["pid"]
    assert all(r["error"] == "bad input seen by rank 0" for r in ranks)  # a user error stays one on every rank
    assert ranks[0]["crash"] == "ValueError: a bug on rank 0"
    assert ranks[1]["crash"] == "RuntimeError: rank 0 failed while crashing: ValueError: a bug on rank 0"
    assert not [p for p in os.listdir(tmp_path / "tmp") if p.startswith("khabar-")]  # the shared folder is gone
