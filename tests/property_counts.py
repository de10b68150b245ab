"""How many examples a property test with its own count draws.

The default suite must stay short (`make test`, about two minutes), and `make test-slow` runs every
property test again with KHABAR_HYPOTHESIS=full (`-m "slow or hypothesis"`): there a test draws the
count it asks for, in the default suite a quarter of it (at least 10). Tests that call `@given`
inside their body are not marked `hypothesis` by its plugin: they carry the mark themselves.
"""

from __future__ import annotations

import os

FULL = os.environ.get("KHABAR_HYPOTHESIS") == "full"


def examples(count: int) -> int:
    return count if FULL else max(10, count // 4)
