"""Which run an experiment folder means: its best run by the dev metric, or an explicit alias.

Why: `experiments/<name>` used to mean the newest run, so serving an experiment after a worse
re-run served the worse model, silently. Now the folder means its best run by the run's own dev
figure (`dev.<eval.primary_metric>` of its config, macro-F1 by default), chosen on dev so the test
figure stays an honest report; `experiments/<name>@best` says so explicitly and
`experiments/<name>@latest` asks for the newest. The choice is said on stderr (which run, which
metric and value), so nobody serves a model without knowing which.

The test split never chooses: a model picked by its test figure would report an optimistic one.
"""

from __future__ import annotations

import os

from ..errors import KhabarError
from ..log import say
from ..models.base import model_dir_of
from ..models.manifest import MANIFEST
from .run_dir import read_mapping

ALIASES = ("best", "latest")
DEFAULT_METRIC = "macro_f1"
#: the figures `khabar runs list` shows, when a run has them
KEY_FIGURES = ("dev.macro_f1", "dev.micro_f1", "test.accuracy", "test.macro_f1", "test.micro_f1", "train.seconds")


def split_alias(path: str) -> tuple[str, str | None]:
    """`experiments/x@best` -> ("experiments/x", "best"); a path without an alias -> (path, None).
    A folder whose own name holds '@' is taken as it is."""
    folder, at, alias = path.rpartition("@")
    if not at or os.path.exists(path) or "/" in alias or os.sep in alias:
        return path, None
    if alias not in ALIASES:
        raise KhabarError(f"{path}: unknown alias @{alias}; use {' or '.join('@' + a for a in ALIASES)} after an "
                          "experiment folder, e.g. experiments/sample_topic_tfidf@best")
    return folder, alias


def resolve_model_dir(path: str) -> str:
    """The model directory a user's path means: a model dir, a run dir, or an experiment folder of
    runs (its best run by the dev metric, or `<folder>@best` / `<folder>@latest`); the run chosen
    for a folder is said on stderr. Every command that takes RUN_OR_MODEL comes through here."""
    path, alias = split_alias(path)
    if not os.path.isdir(path):
        raise KhabarError(f"{path}: no such directory; pass a run directory such as experiments/<name>/<timestamp>")
    if alias is None and (os.path.isfile(os.path.join(path, MANIFEST)) or
                          os.path.isfile(os.path.join(path, "model", MANIFEST))):
        return model_dir_of(path)
    runs = sorted(os.path.join(path, d) for d in os.listdir(path)
                  if not d.startswith(".") and os.path.isfile(os.path.join(path, d, "model", MANIFEST)))
    if runs:
        run, why = choose_run(path, alias, runs)
        say(f"using {why}")
        return os.path.join(run, "model")
    if alias is not None:
        raise KhabarError(f"{path}@{alias}: no runs with a model in {path}; an alias follows an experiment folder "
                          "such as experiments/<name>")
    return model_dir_of(path)  # says what is wrong with it


def dev_metric(run: str) -> str:
    """The key a run is ranked by: `dev.` + its config's eval.primary_metric."""
    config = read_mapping(os.path.join(run, "config.yaml"))
    return "dev." + str(((config.get("eval") or {}).get("primary_metric")) or DEFAULT_METRIC)


def choose_run(folder: str, alias: str | None, runs: list[str]) -> tuple[str, str]:
    """(the run, why it was chosen) among `runs` of experiment `folder` (alias None means best)."""
    if alias == "latest":
        return runs[-1], f"{runs[-1]} (@latest: the newest of {len(runs)} runs)"
    scored = []
    for run in runs:
        key = dev_metric(run)
        value = read_mapping(os.path.join(run, "metrics.json")).get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            scored.append((value, run, key))
    if not scored:
        if alias == "best":
            raise KhabarError(f"{folder}@best: no run has a dev figure to rank by (trained without a dev split); "
                              f"name a run, or use {folder}@latest")
        return runs[-1], f"{runs[-1]} (the newest of {len(runs)} runs: none has a dev figure to rank by)"
    value, run, key = max(scored, key=lambda item: (item[0], item[1]))  # a tie goes to the newer run
    unranked = len(runs) - len(scored)
    extra = f"; {unranked} without a dev figure left out" if unranked else ""
    return run, f"{run} (best {key} {value:.4f} of {len(scored)} runs{extra}; {folder}@latest for the newest)"


def run_rows(paths: list[str]) -> list[dict]:
    """`khabar runs list`: every finished run under `paths` with its key figures, grouped by
    experiment, and which one the experiment folder resolves to."""
    from .compare import find_runs, load_run

    rows = [load_run(p) for p in find_runs(paths)]
    by_experiment: dict[str, list[dict]] = {}
    for row in rows:
        by_experiment.setdefault(os.path.dirname(os.path.normpath(row["run"])), []).append(row)
    for folder, members in by_experiment.items():
        runs = [r["run"] for r in sorted(members, key=lambda r: r["date"]) if os.path.isdir(os.path.join(r["run"], "model"))]
        chosen = choose_run(folder, None, runs)[0] if runs else None
        latest = runs[-1] if runs else None
        for r in members:
            r["resolves"] = ",".join(tag for tag, run in (("best", chosen), ("latest", latest)) if run == r["run"])
            r["ranked_by"] = dev_metric(r["run"])
    return sorted(rows, key=lambda r: (r["name"], r["date"]))


def format_rows(rows: list[dict]) -> str:
    shown = [k for k in KEY_FIGURES if any(isinstance(r.get(k), (int, float)) for r in rows)]
    header = ["experiment", "run", "task", "kind", *shown, "folder means"]
    table = [[r["name"], r["date"], r["task"], r["kind"],
              *(f"{r[k]:.4f}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in shown),
              "@" + r["resolves"].replace(",", ",@") if r["resolves"] else ""] for r in rows]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in table]
    lines.append("An experiment folder (experiments/<name>) means its @best run by the dev figure of its "
                 "eval.primary_metric; <folder>@latest means the newest.")
    return "\n".join(lines)
