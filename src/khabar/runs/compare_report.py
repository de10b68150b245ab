"""What `khabar compare` prints and writes: per group a leaderboard (figure and 95% interval) and its
paired tests; comparison.md, comparison.csv (every run, with its group) and one plot per group.

Apart from `compare` because that module decides (grouping, tests) and this one only renders: a
terminal with 50 runs must not print 1,225 test lines, while the Markdown file keeps them all.
"""

from __future__ import annotations

import csv
import os

from .compare import COLUMNS, label
from .run_dir import safe_name, staged

#: test lines printed per group on the terminal (all go to comparison.md)
PRINTED_TESTS = 30
MULTI_LABEL_NOTE = ("For multi-label runs test.accuracy is subset accuracy (the exact label set), and McNemar's test "
                    "counts exact sets.")


def _display(figure: str, multi_label: bool) -> str:
    """A figure's name as the metric registry displays it."""
    from ..models.metrics import LABEL_SET, ONE_LABEL, display

    return display(figure, LABEL_SET if multi_label else ONE_LABEL)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _interval(run: dict) -> str:
    figure = run.get("figure")
    return f"{figure['ci95'][0]:.4f}..{figure['ci95'][1]:.4f}" if figure else ""


def _rows(group: dict, cols) -> tuple[list[str], list[list[str]]]:
    header = ["#", *(c for c in cols if c != "run"), f"test.{group['figure']} 95% CI"]
    rows = [[str(k), *(_cell(r.get(c)) for c in cols if c != "run"), _interval(r)]
            for k, r in enumerate(group["runs"], 1)]
    return header, rows


def _test_line(t: dict) -> str:
    verdict = "significant" if t["significant"] else "not significant"
    return (f"{t['a']} vs {t['b']}: {_display(t['figure'], t.get('multi_label', False))} delta {t['delta']:+.4f} "
            f"(95% CI {t['ci95'][0]:+.4f}..{t['ci95'][1]:+.4f}), bootstrap p={t['bootstrap_p']:.3g}, "
            f"Holm p={t['holm_p']:.3g}, McNemar p={t['mcnemar_p']:.3g}: {verdict} at 0.05 (n={t['n']})")


def _pairs_phrase(result: dict) -> str:
    return "each run against the group's best" if result["pairs"] == "best" else "every pair"


def format_table(result: dict) -> str:
    """The terminal view: per group its title, leaderboard and tests (at most PRINTED_TESTS lines)."""
    cols = result.get("columns", COLUMNS)
    lines = []
    for g in result["groups"]:
        header, rows = _rows(g, cols)
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
        lines += ["", f"== {g['title']}", "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows]
        tests = g["tests"]
        if tests:
            significant = sum(t["significant"] for t in tests)
            lines.append(f"paired tests ({_pairs_phrase(result)}, {result['resamples']} resamples, Holm-adjusted): "
                         f"{significant} of {len(tests)} significant at 0.05")
            shown = tests if len(tests) <= PRINTED_TESTS else [t for t in tests if t["significant"]][:PRINTED_TESTS]
            lines += [_test_line(t) for t in shown]
            if len(shown) < len(tests):
                lines.append(f"... {len(tests) - len(shown)} more in comparison.md")
        lines += g["notes"]
    lines += result.get("refused", [])
    if cols != COLUMNS:
        lines.append(MULTI_LABEL_NOTE)
    return "\n".join(lines).lstrip("\n")


def write_comparison(result: dict, out_dir: str) -> list[str]:
    """comparison.md, comparison.csv and comparison_<group>.png per group, all or nothing; the
    plots of an earlier comparison in `out_dir` are removed. Returns the paths written."""
    plots = [f"comparison_{k}_{safe_name(g['task'])}.png" for k, g in enumerate(result["groups"], 1)]
    with staged(out_dir) as tmp:
        _write_csv(result, os.path.join(tmp, "comparison.csv"))
        with open(os.path.join(tmp, "comparison.md"), "w", encoding="utf-8") as fh:
            fh.write(markdown(result, plots))
        for g, name in zip(result["groups"], plots):
            plot_group(g, os.path.join(tmp, name))
        if os.path.isdir(out_dir):
            for old in os.listdir(out_dir):
                if old.startswith("comparison_") and old.endswith(".png") and old not in plots:
                    os.remove(os.path.join(out_dir, old))
    return [os.path.join(out_dir, name) for name in ("comparison.md", "comparison.csv", *plots)]


def _write_csv(result: dict, path: str) -> None:
    cols = result.get("columns", COLUMNS)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["group", *cols, "figure", "value", "ci95_low", "ci95_high"])
        for k, g in enumerate(result["groups"], 1):
            for r in g["runs"]:
                figure = r.get("figure") or {}
                ci = figure.get("ci95") or ["", ""]
                writer.writerow([k, *(_cell(r.get(c)) for c in cols), g["figure"], _cell(figure.get("value")),
                                 _cell(ci[0]), _cell(ci[1])])


def markdown(result: dict, plots: list[str]) -> str:
    cols = result.get("columns", COLUMNS)
    lines = [f"# Comparison, sorted by {result['metric']}", "",
             f"Runs are grouped by what they were scored on (task, label set, test data); tests compare "
             f"{_pairs_phrase(result)} within a group: a paired bootstrap ({result['resamples']} resamples, p Holm-"
             f"adjusted within the group) and McNemar's exact test on correctness."]
    for k, (g, plot) in enumerate(zip(result["groups"], plots), 1):
        header, rows = _rows(g, cols)
        lines += ["", f"## {k}. {g['title']}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines += ["", f"![{g['title']}]({plot})"]
        if g["tests"]:
            lines += ["", f"| a | b | n | {_display(g['figure'], g['multi_label'])} delta | 95% CI | bootstrap p | "
                          "Holm p | McNemar p | significant |", "|---|---|---|---|---|---|---|---|---|"]
            lines += [f"| {t['a']} | {t['b']} | {t['n']} | {t['delta']:+.4f} | {t['ci95'][0]:+.4f}..{t['ci95'][1]:+.4f} | "
                      f"{t['bootstrap_p']:.3g} | {t['holm_p']:.3g} | {t['mcnemar_p']:.3g} | "
                      f"{'yes' if t['significant'] else 'no'} |" for t in g["tests"]]
        if g["notes"]:
            lines += ["", *(f"- {note}" for note in g["notes"])]
    if result.get("refused"):
        lines += ["", *(f"- {line}" for line in result["refused"])]
    if cols != COLUMNS:
        lines += ["", MULTI_LABEL_NOTE]
    return "\n".join(lines) + "\n"


def plot_group(group: dict, path: str) -> None:
    """The group's leaderboard as a bar chart with 95% intervals (runs without one: the bar alone)."""
    from matplotlib.figure import Figure  # not pyplot: no global state, no backend, a faster import

    runs = [r for r in group["runs"] if r.get("figure")][::-1]
    fig = Figure(figsize=(8, 0.4 * len(runs) + 1.6))
    ax = fig.add_subplot()
    values = [r["figure"]["value"] for r in runs]
    errors = [[v - r["figure"]["ci95"][0] for v, r in zip(values, runs)],
              [r["figure"]["ci95"][1] - v for v, r in zip(values, runs)]]
    ax.barh([label(r) for r in runs], values, xerr=errors, color="#3b7dd8", ecolor="#333333", capsize=3)
    ax.set_xlabel(f"test {_display(group['figure'], group['multi_label'])} (95% bootstrap interval)")
    ax.set_xlim(0, 1)
    ax.set_title(group["title"], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
