"""bench/scale.py's child handling: a child killed by a signal (the OOM killer sends SIGKILL) is a
clear failed row with the memory it was seen to reach, and children volunteer for the OOM killer."""

from __future__ import annotations

import json
import os
import sys

import pytest
from repo import ROOT

BENCH = ROOT / "bench"


@pytest.fixture
def scale(monkeypatch):
    monkeypatch.setattr(sys, "path", [str(BENCH), *sys.path])
    import scale

    return scale


def test_a_killed_child_is_a_failed_row_naming_the_signal_and_its_memory(scale):
    # the child grows to ~200 MB, then dies as the OOM killer would make it die
    code = ("import os, time; block = bytearray(200_000_000); block[::4096] = b'x' * len(block[::4096]); "
            "time.sleep(3); os.kill(os.getpid(), 9)")
    row = scale.watch([sys.executable, "-c", code], dict(os.environ), "default")
    assert row["system"] == "default"
    assert row["error"].startswith("killed by SIGKILL (out of memory")
    seen = float(row["error"].split("peak RSS seen ")[1].split()[0])
    assert seen >= 0.2


def test_a_child_that_fails_shows_its_last_lines_and_exit_status(scale):
    row = scale.watch([sys.executable, "-c", "import sys; print('one'); sys.exit('no shards here')"],
                      dict(os.environ), "stream")
    assert "no shards here" in row["error"] and "exit 1" in row["error"]


def test_a_child_that_finishes_gives_its_last_json_line(scale):
    row = scale.watch([sys.executable, "-c", "print('progress'); print('{\"n\": 3}')"], dict(os.environ), "peer")
    assert row == {"n": 3}


def test_children_volunteer_for_the_oom_killer(scale):
    code = ("import sys, json; sys.path.insert(0, %r); import scale; print(json.dumps(scale.volunteer_for_oom_killer())); "
            "print(open('/proc/self/oom_score_adj').read().strip())" % str(BENCH))
    import subprocess

    if not os.path.exists("/proc/self/oom_score_adj"):
        pytest.skip("no /proc/self/oom_score_adj on this system")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert json.loads(out[0]) is None and out[1] == "1000"
