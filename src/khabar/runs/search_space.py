"""The `tune:` block of a config: which keys `khabar tune` searches, over what, for how long.

```yaml
tune:
  space:                                  # any config key, by its dotted name
    model.C: {log_uniform: [0.05, 5]}
    model.char_ngrams: {choice: [null, [3, 4], [2, 4]]}
    normalize.preset: {choice: [light, standard]}
    model.min_df: {int: [1, 5]}
  metric: macro_f1                        # on dev; default eval.primary_metric
  trials: 20                              # in the whole study, every worker counted
  timeout: 1800                           # seconds for this call, optional
  max_fit_seconds: 120                    # a trial whose fit takes longer is pruned, optional
```

Why checked here, before any trial: a typo in a key, an empty range or a value the config would
refuse must end in one line naming `tune.space.<key>`, not in twenty failed trials. Every key is
tried with its range's ends (every choice) through the same validation as a config file.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import schema
from ..config import config_from_dict, set_key
from ..errors import KhabarError
from ..models.metrics import OBJECTIVES

DISTRIBUTIONS = ("uniform", "log_uniform", "int", "log_int", "choice")


@dataclass
class TuneConfig:
    space: dict[str, Any]
    # a name of the metric registry (models.metrics) that fits the config's scheme
    metric: Optional[str] = field(default=None, metadata={"choices": OBJECTIVES})
    trials: int = field(default=20, metadata={"min": 1})
    timeout: Optional[float] = field(default=None, metadata={"exclusive_min": 0.0})
    max_fit_seconds: Optional[float] = field(default=None, metadata={"exclusive_min": 0.0})
    seed: Optional[int] = field(default=None, metadata={"min": 0})


@dataclass(frozen=True)
class Dimension:
    """One searched key: `kind` is one of DISTRIBUTIONS; `low`/`high` for ranges, `choices` for choice."""

    key: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    choices: tuple = ()

    def ends(self) -> list:
        """The values validated before the search: both ends of a range, every choice."""
        if self.kind == "choice":
            return list(self.choices)
        cast = int if self.kind in ("int", "log_int") else float
        return [cast(self.low), cast(self.high)]

    def suggest(self, trial):
        """This key's value for an Optuna trial; choices travel as JSON strings (Optuna's
        categorical values must be scalars, and [3, 4] or null are choices here)."""
        if self.kind == "choice":
            return self.value(trial.suggest_categorical(self.key, [json.dumps(c) for c in self.choices]))
        if self.kind in ("int", "log_int"):
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.kind == "log_int")
        return trial.suggest_float(self.key, self.low, self.high, log=self.kind == "log_uniform")

    def value(self, optuna_value):
        """The config value of an Optuna parameter value."""
        return json.loads(optuna_value) if self.kind == "choice" else optuna_value


def parse_tune(raw: dict, source: str) -> tuple[TuneConfig, list[Dimension]]:
    """The validated `tune:` block of the raw (merged) config and its dimensions."""
    block = raw.get("tune")
    if not block:
        raise KhabarError(f"{source}: tune: no search space; add a tune: block with space: (see khabar tune --help)")
    tune = schema.build(TuneConfig, block, "tune", source)
    if not tune.space:
        raise KhabarError(f"{source}: tune.space: empty; name at least one key, e.g. model.C: {{log_uniform: [0.05, 5]}}")
    dims = [_dimension(key, spec, source) for key, spec in tune.space.items()]
    base = {k: v for k, v in raw.items() if k != "tune"}
    for dim in dims:
        for value in dim.ends():
            trial = copy.deepcopy(base)
            where = f"{source}: tune.space.{dim.key}"
            set_key(trial, dim.key, value, where, source)
            try:
                config_from_dict(trial, source)
            except KhabarError as exc:
                raise KhabarError(f"{where}: the value {value!r} is refused ({exc})") from None
    return tune, dims


def _dimension(key: str, spec: Any, source: str) -> Dimension:
    where = f"{source}: tune.space.{key}"
    if not isinstance(key, str) or not key or key.startswith("tune") or key in ("name", "output_dir"):
        raise KhabarError(f"{where}: not a key to search; name a config key such as model.C")
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in DISTRIBUTIONS:
        raise KhabarError(f"{where}: expected one of {', '.join(DISTRIBUTIONS)} with its values, "
                          "e.g. {log_uniform: [0.05, 5]} or {choice: [a, b]}")
    kind, values = next(iter(spec.items()))
    if kind == "choice":
        if not isinstance(values, list) or not values:
            raise KhabarError(f"{where}: choice needs a non-empty list of values")
        encoded = [json.dumps(v, sort_keys=True) for v in values]
        if len(set(encoded)) != len(encoded):
            raise KhabarError(f"{where}: choice lists a value twice")
        return Dimension(key, kind, choices=tuple(values))
    numbers = isinstance(values, list) and len(values) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if not numbers:
        raise KhabarError(f"{where}: {kind} needs [low, high], two numbers")
    low, high = values
    if not low < high:
        raise KhabarError(f"{where}: empty range [{low}, {high}]; low must be below high")
    if kind.startswith("log") and low <= 0:
        raise KhabarError(f"{where}: {kind} needs a positive low end; got {low}")
    if kind in ("int", "log_int") and not (float(low).is_integer() and float(high).is_integer()):
        raise KhabarError(f"{where}: {kind} needs whole numbers; got [{low}, {high}]")
    return Dimension(key, kind, float(low), float(high))


def trial_raw(raw: dict, params: dict[str, Any], source: str) -> dict:
    """The raw config of one trial: the base, without `tune`, with the searched keys set."""
    out = copy.deepcopy({k: v for k, v in raw.items() if k != "tune"})
    for key, value in params.items():
        set_key(out, key, value, f"tune.space.{key}", source)
    return out
