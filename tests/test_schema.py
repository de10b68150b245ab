"""khabar.schema: typed dataclasses from plain YAML mappings, every error naming the file and dotted key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional

import pytest

from khabar import schema
from khabar.errors import KhabarError

SOURCE = "configs/x.yaml"


@dataclass
class Window:
    size: int = field(default=8, metadata={"min": 1, "max": 512})
    stride: int = field(default=0, metadata={"min": 0})


@dataclass
class Inner:
    mode: Literal["fast", "exact"] = "fast"
    rate: float = field(default=0.5, metadata={"exclusive_min": 0.0, "max": 1.0})
    color: str = field(default="red", metadata={"choices": ("red", "green")})
    window: Window = field(default_factory=Window)


@dataclass
class Outer:
    name: str
    inner: Inner = field(default_factory=Inner)
    sizes: list[int] = field(default_factory=list)
    tags: Optional[list[str]] = None
    limit: Optional[int] = field(default=None, metadata={"min": 1})
    mapping: dict[str, float] = field(default_factory=dict)
    flag: bool = False
    anything: Any = None


def build(raw, cls=Outer):
    return schema.build(cls, raw, "", SOURCE)


def error(raw, cls=Outer) -> str:
    with pytest.raises(KhabarError) as err:
        build(raw, cls)
    message = str(err.value)
    assert message.startswith(f"{SOURCE}: ") and "\n" not in message
    return message


def test_nested_dataclasses_are_built_with_their_defaults():
    out = build({"name": "n", "inner": {"mode": "exact", "window": {"size": 16}}})
    assert out == Outer(name="n", inner=Inner(mode="exact", window=Window(size=16)))
    assert build({"name": "n", "inner": None}).inner == Inner()  # an empty section is the defaults


def test_unknown_key_names_the_dotted_key_the_file_and_the_valid_keys():
    message = error({"name": "n", "inner": {"window": {"sise": 3}}})
    assert message == f"{SOURCE}: inner.window.sise: unknown key; valid keys here: size, stride"
    top = error({"name": "n", "colour": 1})
    assert top.startswith(f"{SOURCE}: colour: unknown key; valid keys here: anything, flag, inner, limit, ")


def test_required_key():
    assert error({}) == f"{SOURCE}: name: required key is missing"


def test_not_a_mapping():
    assert "top level: expected a mapping of keys, got [1]" in error([1])
    assert "inner: expected a mapping of keys, got 'fast'" in error({"name": "n", "inner": "fast"})


@pytest.mark.parametrize("raw, expected", [
    ({"name": "n", "flag": "yes"}, "flag: expected true or false, got 'yes'"),
    ({"name": "n", "inner": {"window": {"size": 2.5}}}, "inner.window.size: expected an integer, got 2.5"),
    ({"name": "n", "inner": {"window": {"size": True}}}, "inner.window.size: expected an integer, got True"),
    ({"name": "n", "inner": {"rate": "half"}}, "inner.rate: expected a number, got 'half'"),
    ({"name": ["a"]}, "name: expected a string, got ['a']"),
    ({"name": "n", "sizes": {"a": 1}}, "sizes: expected a list, got {'a': 1}"),
    ({"name": "n", "sizes": [1, "two"]}, "sizes[1]: expected an integer, got 'two'"),
    ({"name": "n", "mapping": [1]}, "mapping: expected a mapping, got [1]"),
    ({"name": "n", "mapping": {"a": "x"}}, "mapping.a: expected a number, got 'x'"),
])
def test_wrong_types_name_the_key(raw, expected):
    assert error(raw) == f"{SOURCE}: {expected}"


def test_long_values_are_shortened_in_messages():
    message = error({"name": "n", "flag": "x" * 200})
    assert len(message) < 150 and message.endswith("...")


def test_scalars_are_coerced_only_where_lossless():
    out = build({"name": 7, "inner": {"rate": 1}})
    assert out.name == "7" and isinstance(out.inner.rate, float) and out.inner.rate == 1.0


def test_optional_takes_none_or_the_type():
    assert build({"name": "n", "tags": None, "limit": None}).tags is None
    assert build({"name": "n", "limit": 3}).limit == 3
    assert error({"name": "n", "limit": "many"}) == f"{SOURCE}: limit: expected an integer, got 'many'"
    assert error({"name": "n", "limit": 0}) == f"{SOURCE}: limit: must be >= 1; got 0"  # metadata holds inside Optional


def test_literal():
    assert build({"name": "n", "inner": {"mode": "exact"}}).inner.mode == "exact"
    assert error({"name": "n", "inner": {"mode": "slow"}}) == f"{SOURCE}: inner.mode: must be one of fast, exact; got 'slow'"


def test_a_scalar_where_a_list_is_expected_becomes_a_list_of_one():
    assert build({"name": "n", "sizes": 3, "tags": "news"}) == Outer(name="n", sizes=[3], tags=["news"])
    assert error({"name": "n", "sizes": True}) == f"{SOURCE}: sizes: expected a list, got True"


def test_dict_keys_and_values_are_checked():
    assert build({"name": "n", "mapping": {"a": 1, "b": 2.5}}).mapping == {"a": 1.0, "b": 2.5}


@pytest.mark.parametrize("inner, expected", [
    ({"window": {"size": 0}}, "inner.window.size: must be >= 1; got 0"),
    ({"window": {"size": 513}}, "inner.window.size: must be <= 512; got 513"),
    ({"window": {"stride": -1}}, "inner.window.stride: must be >= 0; got -1"),
    ({"rate": 0}, "inner.rate: must be > 0.0; got 0.0"),
    ({"rate": 1.5}, "inner.rate: must be <= 1.0; got 1.5"),
    ({"color": "blue"}, "inner.color: must be one of red, green; got 'blue'"),
])
def test_range_and_choice_metadata(inner, expected):
    assert error({"name": "n", "inner": inner}) == f"{SOURCE}: {expected}"


def test_range_edges_are_allowed():
    out = build({"name": "n", "inner": {"rate": 1.0, "window": {"size": 1, "stride": 0}}})
    assert (out.inner.rate, out.inner.window.size, out.inner.window.stride) == (1.0, 1, 0)


def test_any_takes_what_it_is_given():
    assert build({"name": "n", "anything": {"deep": [1, {"x": None}]}}).anything == {"deep": [1, {"x": None}]}


def test_where_prefixes_the_keys():
    with pytest.raises(KhabarError, match=rf"^{SOURCE}: model\.window\.size: must be >= 1"):
        schema.build(Inner, {"window": {"size": 0}}, "model", SOURCE)


def test_to_dict_round_trip():
    out = build({"name": "n", "inner": {"mode": "exact", "window": {"size": 3}}, "sizes": [1, 2],
                 "tags": ["a"], "mapping": {"x": 0.5}, "flag": True})
    plain = schema.to_dict(out)
    assert plain["inner"] == {"mode": "exact", "rate": 0.5, "color": "red", "window": {"size": 3, "stride": 0}}
    assert build(plain) == out
    assert schema.to_dict((Window(), [Window(size=2)])) == [{"size": 8, "stride": 0}, [{"size": 2, "stride": 0}]]


def test_a_type_the_schema_cannot_check_is_a_programming_error():
    @dataclass
    class Odd:
        value: complex = 0j

    with pytest.raises(TypeError, match="schema cannot check type"):
        build({"value": 1}, Odd)
