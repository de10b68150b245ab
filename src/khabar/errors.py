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


#: errno names of a write that failed for a reason the user can fix: a full disk or quota, the
#: file-size limit (ulimit -f), a read-only or forbidden place, a reader that went away
WRITE_ERRORS = ("ENOSPC", "EDQUOT", "EFBIG", "EROFS", "EACCES", "EPERM", "EPIPE")


def write_failure(exc: OSError) -> "KhabarError | None":
    """The one line for an OSError that is a write the user can fix (`WRITE_ERRORS`), naming the
    file, or standard output when the error names none; None for any other OSError (a bug)."""
    import errno

    if exc.errno not in {getattr(errno, name) for name in WRITE_ERRORS if hasattr(errno, name)}:
        return None
    where = exc.filename if exc.filename is not None else "standard output"
    if exc.errno == errno.EPIPE:
        return KhabarError(f"{where}: the reader closed it before everything was written (broken pipe)")
    return KhabarError(f"{where}: cannot write ({exc.strerror}); free space, raise the limit or choose a writable "
                       "place; nothing half-written was left")
