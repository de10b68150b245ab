"""What every benchmark prints and needs: the machine, the shared corpora, and honest verdicts."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the benchmark corpora: $KHABAR_SHARED_DATA, by default ../shared/data beside the repository
SHARED = Path(os.environ.get("KHABAR_SHARED_DATA") or ROOT.parent / "shared" / "data").resolve()


def shared_path(relative: str) -> Path:
    """A corpus under the shared data folder, or exit 1 with a clear 'skipped' line when it is absent."""
    path = SHARED / relative
    if not path.exists():
        print(f"skipped: {path} not found (the benchmark corpora live in $KHABAR_SHARED_DATA, "
              "by default ../shared/data beside the repository)")
        sys.exit(1)
    return path


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    cpu = cpu_model()
    from importlib.metadata import version

    versions = []
    for name in ("scikit-learn", "numpy", "torch", "transformers"):
        try:
            versions.append(f"{name} {version(name)}")
        except Exception:
            pass
    return (f"date {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; {cpu}, {os.cpu_count()} cores; "
            f"Python {platform.python_version()}; " + ", ".join(versions))


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"
