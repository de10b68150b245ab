"""Values and YAML that must be refused in one line before any work: generated, not picked.

Classes 4 and 5 of issue 24: non-finite and huge numbers in every numeric key the schema declares
(enumerated from the dataclasses, so a key added later is covered), YAML 1.2 numbers such as
`1e-3`, alias bombs of any shape, recursive aliases, deep nesting and non-JSON values (dates, sets,
binary) at any key.
"""

from __future__ import annotations

import dataclasses
import math
import typing

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st
from repo import CONFIGS

from khabar import safe_yaml, schema
from khabar.config import TopLevel, config_from_dict, load_config
from khabar.errors import KhabarError
from khabar.models.registry import KINDS, get_kind
from khabar.runs.search_space import TuneConfig

BASE = yaml.safe_load((CONFIGS / "sample_topic_tfidf.yaml").read_text(encoding="utf-8"))
BASE["data"]["path"] = str(CONFIGS.parent / BASE["data"]["path"])


def numeric_keys(cls: type, prefix: str) -> list[tuple[str, type]]:
    """Every int or float field (also Optional ones) below `cls`, as (dotted key, type)."""
    out = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        union = typing.get_origin(tp) is typing.Union
        args = [a for a in typing.get_args(tp) if a is not type(None)] if union else [tp]
        for option in args:
            key = f"{prefix}.{f.name}" if prefix else f.name
            if option in (int, float):
                out.append((key, option))
            elif dataclasses.is_dataclass(option):
                out.extend(numeric_keys(option, key))
    return out


def every_numeric_key() -> list[tuple[str, str, type]]:
    """(model kind, dotted key, type) for the top level and every kind's model: and train: sections."""
    keys = [("tfidf", key, tp) for key, tp in numeric_keys(TopLevel, "")]
    for name in KINDS:
        kind = get_kind(name)
        keys += [(name, key, tp) for key, tp in numeric_keys(kind.params, "model") + numeric_keys(kind.train, "train")]
    return keys


NUMERIC = every_numeric_key()
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])


def hostile(tp: type):
    """Values a key of type `tp` must refuse: non-finite, or too large for what consumes it."""
    big = schema.MAX_INT if tp is int else int(schema.MAX_FLOAT)
    huge = st.one_of(st.integers(min_value=big + 1, max_value=10**400),
                     st.integers(min_value=-(10**400), max_value=-(big + 1)))
    if tp is float:
        huge = st.one_of(huge, st.floats(min_value=schema.MAX_FLOAT * 1.001, max_value=1e308), st.just(-1e200))
    return st.one_of(NON_FINITE, huge)


def key_and_hostile_value(keys):
    return st.sampled_from(keys).flatmap(lambda where: st.tuples(st.just(where), hostile(where[-1])))


def raw_with(kind: str, key: str, value) -> dict:
    raw = yaml.safe_load(yaml.safe_dump(BASE))
    if kind != "tfidf":
        raw["model"] = {"kind": kind}
        raw["normalize"] = {}
    node = raw
    *parents, last = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return raw


def test_every_numeric_key_is_enumerated():
    keys = {key for _, key, _ in NUMERIC}
    assert {"train.seed", "model.C", "predict.min_confidence", "data.split.dev", "eval.misclassified_examples"} <= keys


@given(key_and_hostile_value(NUMERIC))
def test_non_finite_and_huge_numbers_are_refused_naming_the_key(case):
    (kind, key, _), value = case
    with pytest.raises(KhabarError) as info:
        config_from_dict(raw_with(kind, key, value), "c.yaml")
    assert f"c.yaml: {key}:" in str(info.value)
    assert "\n" not in str(info.value)


@given(key_and_hostile_value(numeric_keys(TuneConfig, "tune")))
def test_tune_block_numbers_are_refused(case):
    (key, _), value = case
    with pytest.raises(KhabarError, match=key):
        schema.build(TuneConfig, {"space": {"model.C": {"uniform": [0.1, 1]}}, key.split(".")[-1]: value}, "tune", "c.yaml")


@given(st.floats(min_value=1e-12, max_value=1e12, allow_nan=False, allow_infinity=False),
       st.sampled_from(["{:e}", "{:E}", "{:.3e}", "{!r}"]))
def test_numbers_in_exponent_form_are_numbers(value, form):
    text = form.format(value)
    loaded = safe_yaml.load(f"x: {text}", "c.yaml")["x"]
    assert isinstance(loaded, float) and math.isclose(loaded, float(text))


@given(st.sampled_from([".nan", ".NaN", ".inf", "-.inf", "+.Inf", "1e999", "-2.5E+400"]))
def test_yaml_non_finite_numbers_are_refused_anywhere(text):
    for doc in (f"x: {text}", f"tune: {{space: {{model.C: {{choice: [1, {text}]}}}}}}"):
        with pytest.raises(KhabarError, match="not a finite number"):
            safe_yaml.load(doc, "c.yaml")


def bomb(width: int, levels: int) -> str:
    """The "billion laughs": each level a list of `width` aliases to the level below."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\ntune:\n  space:\n    model.C:\n      choice: *l%d\n" % levels


@given(st.integers(2, 12), st.integers(1, 14))
def test_alias_bombs_are_measured_not_expanded(width, levels):
    sizes = [1 + width]  # the list l0, then each level: itself and `width` copies of the one below
    for _ in range(levels):
        sizes.append(1 + width * sizes[-1])
    expanded = sum(sizes) + sizes[-1]  # every definition, and the tune space's use of the last
    doc = bomb(width, levels)
    assume(expanded > 2 * safe_yaml.MAX_NODES or expanded < safe_yaml.MAX_NODES // 2)  # away from the keys' share
    if expanded > safe_yaml.MAX_NODES:
        with pytest.raises(KhabarError, match="expands to more than"):
            safe_yaml.load(doc, "c.yaml")
    else:
        assert len(safe_yaml.load(doc, "c.yaml")["tune"]["space"]["model.C"]["choice"]) == width


@given(st.integers(0, 6), st.sampled_from(["[1, *a]", "{k: *a}", "[[[*a]]]", "{k: [1, {j: *a}]}"]))
def test_recursive_aliases_are_refused(depth, body):
    doc = "x:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(depth)) + "  " * (depth + 1) + f"v: &a {body}\n"
    with pytest.raises(KhabarError, match="recursive alias"):
        safe_yaml.load(doc, "c.yaml")


@given(st.integers(safe_yaml.MAX_DEPTH + 1, 20_000), st.sampled_from(["[", "{a: "]))
def test_deep_nesting_is_refused(depth, opener):
    closer = "]" if opener == "[" else "}"
    with pytest.raises(KhabarError, match="nested"):
        safe_yaml.load("x: " + opener * depth + "1" + closer * depth, "c.yaml")


@given(st.lists(st.sampled_from(["name", "card", "tune", "model", "x1"]), min_size=1, max_size=4),
       st.sampled_from(["2024-01-01", "2001-12-14t21:59:43.10-05:00", "!!set {a, b}", "!!binary aGVsbG8=",
                        "!!omap [{a: 1}]", "!!pairs [{a: 1}]"]))
def test_non_json_values_are_refused_naming_the_key(path, value):
    doc = "".join("  " * i + f"{part}:\n" for i, part in enumerate(path[:-1])) + "  " * (len(path) - 1) + f"{path[-1]}: {value}\n"
    with pytest.raises(KhabarError) as info:
        safe_yaml.load(doc, "c.yaml")
    assert f"c.yaml: {'.'.join(path)}:" in str(info.value) and "quote it" in str(info.value)


def test_config_file_and_set_go_through_the_bounded_loader(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(f"base: {CONFIGS / 'sample_topic_tfidf.yaml'}\n" + bomb(10, 8), encoding="utf-8")
    with pytest.raises(KhabarError, match=r"c.yaml: l\d+: expands"):
        load_config(str(path))
    config = load_config(str(CONFIGS / "sample_topic_tfidf.yaml"), ["model.C=1e-3"])
    assert config.model.C == 0.001
    with pytest.raises(KhabarError, match="--set card.description: a date"):
        load_config(str(CONFIGS / "sample_topic_tfidf.yaml"), ["card.description=2024-01-01"])
    with pytest.raises(KhabarError, match="--set model.C: .nan is not a finite number"):
        load_config(str(CONFIGS / "sample_topic_tfidf.yaml"), ["model.C=.nan"])


@given(st.text(st.characters(whitelist_categories=("Cc", "Zl", "Zp", "Cf")), min_size=1, max_size=3),
       st.text("abc", min_size=0, max_size=3))
def test_run_names_with_line_breaks_or_control_characters_are_refused(bad, around):
    raw = raw_with("tfidf", "name", around + bad + around)
    with pytest.raises(KhabarError, match="name:"):
        config_from_dict(raw, "c.yaml")
