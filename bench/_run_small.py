"""`make bench-small`: every benchmark in bench/ in its small mode, one after the other, as CI runs them.

A benchmark is any bench/*.py whose name does not start with `_` (those are helpers, like this
runner): a new script is picked up without being listed anywhere. Each runs as
`python bench/NAME.py --small` in its own process from the repository root; its whole output is
printed (the figures and MET / NOT MET lines are what a reviewer reads in the CI log) and kept
in bench/out/small/NAME.log (git-ignored). Then one line per benchmark: status, wall seconds,
CPU seconds (wall time on a shared machine says more about the neighbours than about the code),
and the number of MET / NOT MET verdicts. Status `skipped` is a benchmark whose corpus is absent
(it printed `skipped: ...` and exited 0); any other exit status than 0 fails the run.

    python bench/_run_small.py [NAME ...] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LOGS = BENCH / "out" / "small"


def benchmarks() -> list[Path]:
    """Every benchmark script: bench/*.py not starting with `_`, in name order."""
    return sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(script: Path, timeout: float) -> dict:
    """One benchmark in small mode: its status, times, verdict counts and output."""
    cpu, start = children_cpu(), time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(script), "--small"], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})  # progress and figures in order
        output, code = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        output += f"\n_run_small: stopped after {timeout:g} s\n"
        code = None
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    lines = output.splitlines()
    if code == 0:
        status = "skipped" if any(line.startswith("skipped:") for line in lines) else "ok"
    else:
        status = "TIMEOUT" if code is None else f"FAILED (exit {code})"
    not_met = sum(" NOT MET" in line for line in lines)
    met = sum(" MET" in line for line in lines) - not_met
    return {"name": script.stem, "status": status, "wall": wall, "cpu": cpu, "met": met, "not_met": not_met,
            "output": output}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these benchmarks (default: all)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per benchmark before it fails (default 600)")
    args = parser.parse_args(argv)
    scripts = benchmarks()
    if args.names:
        known = {p.stem: p for p in scripts}
        unknown = [n for n in args.names if n not in known]
        if unknown:
            parser.error(f"no benchmark {', '.join(unknown)} in bench/ (known: {', '.join(known)})")
        scripts = [known[n] for n in args.names]
    LOGS.mkdir(parents=True, exist_ok=True)
    print(f"bench-small: {len(scripts)} benchmarks, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
          flush=True)
    results = []
    for script in scripts:
        print(f"\n===== {script.name} --small", flush=True)
        result = run(script, args.timeout)
        (LOGS / f"{result['name']}.log").write_text(result["output"], encoding="utf-8")
        print(result["output"].rstrip(), flush=True)
        results.append(result)
        print(summary(result), flush=True)
    print(f"\nbench-small summary (logs in {LOGS.relative_to(ROOT)}/; load average now {os.getloadavg()[0]:.2f})")
    for result in results:
        print(summary(result))
    failed = [r["name"] for r in results if r["status"] not in ("ok", "skipped")]
    total = sum(r["wall"] for r in results)
    print(f"bench-small: {len(results) - len(failed)}/{len(results)} passed in {total:.0f} s"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def summary(result: dict) -> str:
    return (f"bench-small {result['name']:<24} {result['status']:<16} {result['wall']:6.1f} s wall "
            f"{result['cpu']:6.1f} s cpu  {result['met']} MET, {result['not_met']} NOT MET")


if __name__ == "__main__":
    sys.exit(main())
