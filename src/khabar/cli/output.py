"""Where a command's results go: standard output, or with --output a file written all or nothing
(`runs.run_dir.staged_file`), in a format of the registry `serving.writers`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
TYPE_CHECKING = False  # the typing module is not imported at start-up (bench/startup.py)
if TYPE_CHECKING:
    from typing import TextIO


@contextlib.contextmanager
def opened_output(output: str | None) -> Iterator[TextIO]:
    """Standard output, or the staged file `output`: renamed into place only when complete."""
    if not output:
        yield sys.stdout
        return
    from ..runs.run_dir import staged_file

    with staged_file(output) as fh:
        yield fh


def write_output(kind: str, records, args, inputs=None) -> None:
    """Write `kind` records in the format of --format (else of --output's extension, else the
    default) to --output or standard output."""
    from ..serving.writers import choose_writer

    writer = choose_writer(kind, args.format, args.output)
    with opened_output(args.output) as stream:
        writer.write(records, stream, inputs)


def check_output(output: str | None) -> None:
    """Fail before any work when --output cannot be written."""
    if output:
        from ..runs.run_dir import check_writable

        check_writable(output, "--output", folder=False)
