"""`khabar` command line: one module per command, each a thin wrapper over a library function
that returns data (`add_parser(sub)` declares its arguments, `run(args) -> int` calls the library
and prints).

`main` parses and dispatches (`main.py`); `parser` is the one-line-error parser that takes options
anywhere on the line, and the checked argument types; `inputs` the arguments predict and explain
share; `output` standard output or a file written all or nothing, in a format of the registry
`serving.writers`. Adding a command is one module here and one line in `main.COMMANDS`.
"""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
