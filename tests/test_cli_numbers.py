"""Every numeric flag of every command refuses non-finite and huge values in one line (issue 24,
class 4), and `compare --resamples` is bounded (class 10). The flags are enumerated from the
parser, so a flag added later is covered; the values are generated."""

from __future__ import annotations

import argparse
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khabar.cli.compare import MAX_RESAMPLES
from khabar.cli.main import build_parser
from khabar.errors import KhabarError
from khabar.schema import MAX_FLOAT, MAX_INT
from khabar.ray_session import check_reachable


def numeric_flags() -> list[tuple[list[str], str, str]]:
    """(command path, flag, 'int' or 'float') for every option whose type is a bounded number."""
    found = []

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, path + [name])
            elif action.option_strings and getattr(action.type, "__name__", "") in ("a whole number", "a number"):
                found.append((path, action.option_strings[-1], "int" if action.type.__name__ == "a whole number" else "float"))

    walk(build_parser(), [])
    return found


FLAGS = numeric_flags()


def test_the_numeric_flags_are_found():
    names = {flag for _, flag, _ in FLAGS}
    assert {"--top-k", "--min-confidence", "--resamples", "--trials", "--timeout", "--port"} <= names


hostile = st.one_of(st.sampled_from(["nan", "inf", "-inf", "NaN", "1e400", "-1e400"]),
                    st.integers(MAX_INT + 1, 10**60).map(str), st.integers(-(10**60), -1).map(str),
                    st.floats(MAX_FLOAT * 1.01, 1e300).map(repr))


@given(st.sampled_from(FLAGS), hostile)
def test_every_numeric_flag_refuses_non_finite_and_huge_values(where, value):
    path, flag, _ = where
    positional = {"train": ["c.yaml"], "tune": ["c.yaml"], "evaluate": ["run", "--data", "d.jsonl"],
                  "predict": ["run"], "explain": ["run"], "serve": ["run"], "card": ["run"], "compare": [],
                  "stats": ["d.jsonl"], "suggest": ["run", "pool.jsonl"], "list": [], "export": ["store.sqlite"]}[path[-1]]
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*path, *positional, f"{flag}={value}"])
    assert info.value.code == 2


@given(st.integers(MAX_RESAMPLES + 1, 10**12))
def test_compare_resamples_are_capped(resamples):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["compare", "--resamples", str(resamples)])
    assert build_parser().parse_args(["compare", "--resamples", str(MAX_RESAMPLES)]).resamples == MAX_RESAMPLES


def test_an_unreachable_ray_address_is_one_line():
    with socket.socket() as sock:  # a loopback port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(KhabarError, match="cannot reach the Ray cluster"):
            check_reachable(address, timeout=5)
    with pytest.raises(KhabarError, match="expected host:port"):
        check_reachable("ray://nowhere")
    check_reachable("auto")
