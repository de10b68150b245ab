"""Where the tests find the repository and the shared corpora.

Everything is relative to this file, never to the checkout's folder name or absolute location.
The benchmark corpora (not redistributed) live in `$KHABAR_SHARED_DATA`, by default
`<repo>/../shared/data`; tests that need them skip with a clear message when they are absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
CONFIGS = ROOT / "configs"


def shared_data() -> Path:
    """The folder of the shared corpora: $KHABAR_SHARED_DATA, else <repo>/../shared/data."""
    return Path(os.environ.get("KHABAR_SHARED_DATA") or ROOT.parent / "shared" / "data")


def shared_file(*parts: str) -> Path:
    """A file of the shared corpora, or a skip naming where it was looked for."""
    path = shared_data().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared corpora are only on benchmark machines "
                    "(set KHABAR_SHARED_DATA to their folder; default <repo>/../shared/data)")
    return path
