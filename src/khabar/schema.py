"""Build typed dataclasses from plain YAML mappings, with errors a user can act on.

Why by hand: the config is a few nested dataclasses and the errors must name the file and the
dotted key ("configs/x.yaml: model.ngram_max: expected an integer, got 'two'"). A validation
library would add a dependency for ~100 lines.

Range and choice checks live in field metadata: `field(default=1, metadata={"min": 1})`,
`metadata={"choices": ("a", "b")}`.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Literal, Union

from .errors import KhabarError

_MISSING = dataclasses.MISSING
# every whole number a config holds (seeds, sizes, counts) fits numpy's and scikit-learn's 32-bit
# arguments (a seed must be below 2**32); every other number is finite and at most 1e9 in size
# (a timeout beyond ~9.2e9 s overflows the clock calls; no rate, weight or C needs more)
MAX_INT = 2**31 - 1
MAX_FLOAT = 1e9


def build(cls: type, raw: Any, where: str, source: str) -> Any:
    """Return `cls(**raw)` after checking every key, type and range.

    `where` is the dotted path of `raw` in the file ("" at the top), `source` the file name.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise KhabarError(f"{source}: {where or 'top level'}: expected a mapping of keys, got {_show(raw)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        key = _join(where, str(unknown[0]))
        raise KhabarError(
            f"{source}: {key}: unknown key; valid keys here: {', '.join(sorted(fields))}"
        )
    values = {}
    for name, f in fields.items():
        key = _join(where, name)
        if name in raw:
            values[name] = _check(hints[name], raw[name], key, source, f.metadata)
        elif f.default is _MISSING and f.default_factory is _MISSING:
            raise KhabarError(f"{source}: {key}: required key is missing")
    return cls(**values)


def _check(tp: Any, value: Any, key: str, source: str, meta: typing.Mapping) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        errors = []
        for option in inner:
            try:
                return _check(option, value, key, source, meta)
            except KhabarError as exc:
                errors.append(str(exc))
        raise KhabarError(errors[0])
    if origin is Literal:
        if value not in args:
            raise KhabarError(f"{source}: {key}: must be one of {', '.join(map(str, args))}; got {_show(value)}")
        return value
    if origin is list:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list):
            raise KhabarError(f"{source}: {key}: expected a list, got {_show(value)}")
        return [_check(args[0], v, f"{key}[{i}]", source, {}) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise KhabarError(f"{source}: {key}: expected a mapping, got {_show(value)}")
        return {
            _check(args[0], k, key, source, {}): _check(args[1], v, f"{key}.{k}", source, {})
            for k, v in value.items()
        }
    if dataclasses.is_dataclass(tp):
        return build(tp, value, key, source)
    if tp is Any:
        return value
    value = _scalar(tp, value, key, source)
    _check_range(value, key, source, meta)
    return value


def _scalar(tp: type, value: Any, key: str, source: str) -> Any:
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise KhabarError(f"{source}: {key}: expected true or false, got {_show(value)}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > MAX_INT:
                raise KhabarError(f"{source}: {key}: {_show(value)} is too large (at most {MAX_INT:,}); give a "
                                  "smaller whole number")
            return value
        raise KhabarError(f"{source}: {key}: expected an integer, got {_show(value)}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if abs(value) > MAX_FLOAT or not math.isfinite(value):  # abs first: float(10**400) overflows
                raise KhabarError(f"{source}: {key}: expected a finite number of at most {MAX_FLOAT:g} in size, got "
                                  f"{_show(value)}; give a number such as 0.5 or 1e-3")
            return float(value)
        raise KhabarError(f"{source}: {key}: expected a number, got {_show(value)}")
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise KhabarError(f"{source}: {key}: expected a string, got {_show(value)}")
    raise TypeError(f"schema cannot check type {tp!r} at {key}")


def _check_range(value: Any, key: str, source: str, meta: typing.Mapping) -> None:
    if "choices" in meta and value not in meta["choices"]:
        raise KhabarError(
            f"{source}: {key}: must be one of {', '.join(map(str, meta['choices']))}; got {_show(value)}"
        )
    if "min" in meta and value < meta["min"]:
        raise KhabarError(f"{source}: {key}: must be >= {meta['min']}; got {value}")
    if "max" in meta and value > meta["max"]:
        raise KhabarError(f"{source}: {key}: must be <= {meta['max']}; got {value}")
    if meta.get("exclusive_min") is not None and value <= meta["exclusive_min"]:
        raise KhabarError(f"{source}: {key}: must be > {meta['exclusive_min']}; got {value}")


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def to_dict(obj: Any) -> Any:
    """Plain data (for YAML/JSON) from nested dataclasses."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    return obj
