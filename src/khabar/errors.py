"""The one exception type for a user's mistake.

Anything the user can fix (a missing file, a wrong column, an unknown config key) raises
`KhabarError` with a one-line message naming the file, row or key and the fix. The CLI prints
it as `khabar: error: ...` and exits with status 2, never a traceback. Everything else is a bug
and keeps its traceback.
"""


class KhabarError(Exception):
    """A user's mistake, reported as one line and exit status 2."""

    exit_status = 2

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))
