"""The one writer of result folders: a training run (`experiments/<name>/<run>/`) and the folder of
`khabar evaluate --out`.

Why one: both must be all-or-nothing. Files are written into a hidden temporary folder beside the
target (unique to this process, so two runs never share it) and moved into place when complete; a
failure removes only that temporary folder. A killed run therefore never looks finished, and a
run's name (`<date>-<time>-<4 hex>`) is unique even for two trainings started in the same second.

The plotting and metric modules are imported by the functions that write results, so a command
that only writes one file through `staged_file` (`khabar normalize -o`) loads no scikit-learn.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import tempfile
from contextlib import contextmanager
from datetime import datetime
from typing import Iterator, Mapping, Sequence

import yaml

from .. import safe_yaml
from ..errors import KhabarError, write_failure
from ..examples import Example

INCOMPLETE = ".incomplete"


def check_writable(path: str, what: str, folder: bool = True) -> None:
    """Fail now, before any work, when `path` (a folder to create or fill, or with `folder=False`
    a file to write) cannot be written: one line naming `what` (a flag or config key) and the path.

    Nothing is created: the nearest existing folder on the way is probed with a temporary file
    (permission bits alone do not tell, e.g. for root or on a read-only file system).
    """
    if folder and os.path.exists(path) and not os.path.isdir(path):
        raise KhabarError(f"{what} {path}: exists and is not a folder; choose another path")
    if not folder and os.path.isdir(path):
        raise KhabarError(f"{what} {path}: is a folder; give the path of a file to write")
    if not folder:
        path = os.path.realpath(path)  # a symlink is written through: its target's folder counts
        if is_stream(path):  # a device or named pipe is written in place, never replaced
            if not os.access(path, os.W_OK):
                raise KhabarError(f"{what} {path}: cannot write to it (permission denied); choose a writable path")
            return
    probe = os.path.abspath(path if folder else os.path.dirname(os.path.abspath(path)))
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise KhabarError(f"{what} {path}: {probe} is a file, not a folder; choose another path")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise KhabarError(f"{what} {path}: cannot write in {probe} ({exc.strerror}); choose a writable folder") from None


def is_stream(path: str) -> bool:
    """Whether `path` exists and is neither a regular file nor a folder: a device such as /dev/null,
    a named pipe or a socket. Output is streamed into it; replacing it would break it."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def umask() -> int:
    """The process's umask, read without changing it where /proc tells it."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def follow_umask(path: str, folder: bool = False) -> None:
    """Give a file or folder made by `tempfile` (0600 / 0700, private) the mode a plain `open` or
    `mkdir` would have given it: 0666 / 0777 less the umask, so that a teammate or a separate
    serving user can read results when the umask says they may."""
    os.chmod(path, (0o777 if folder else 0o666) & ~umask())


def new_run_dir(parent: str) -> str:
    """A fresh run path under `parent`: its date and time, then a random suffix.

    The name is reserved by creating the folder, empty (`os.mkdir` fails when it exists, also for
    another process), so two runs started in the same second never share it whatever the random
    bits say; `staged` then fills it in one rename. An empty run folder is no run (no metrics.json):
    `discard_if_empty` removes it when writing fails.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise KhabarError(f"{parent}: cannot write here ({exc.strerror}); choose a writable folder") from None
    while True:
        path = os.path.join(parent, f"{stamp}-{secrets.token_hex(2)}")
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        except OSError as exc:
            raise KhabarError(f"{parent}: cannot write here ({exc.strerror}); choose a writable folder") from None
        return path


def discard_if_empty(path: str) -> None:
    """Remove a reserved run folder that nothing was written to (a failed or interrupted write)."""
    try:
        if os.path.isdir(path) and not os.path.islink(path) and not os.listdir(path):
            os.rmdir(path)
    except OSError:
        pass


@contextmanager
def staged(final: str) -> Iterator[str]:
    """Yield a temporary folder beside `final`; on success its files end in `final`, else it is removed.

    A new or empty `final` is one rename. An existing `final` (evaluate --out into a folder used before)
    gets each file replaced one by one, each replacement atomic; other files there stay.
    """
    parent = os.path.dirname(os.path.abspath(final))
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(os.path.normpath(final))}.", suffix=INCOMPLETE, dir=parent)
        follow_umask(tmp, folder=True)
    except OSError as exc:
        raise KhabarError(f"{parent}: cannot write here ({exc.strerror}); choose a writable folder") from None
    try:
        try:
            yield tmp
        except OSError as exc:  # disk full, file-size limit, read-only: nothing of it reaches `final`
            if write_failure(exc) is None:
                raise  # not a write the user can fix: a bug, with its traceback
            raise KhabarError(f"{final}: cannot write ({write_error(exc)}); nothing was written") from None
        if os.path.isdir(final) and not os.path.islink(final) and not os.listdir(final):
            try:
                os.rename(tmp, final)  # onto an empty folder (a reserved run name): one rename on POSIX
            except OSError:
                os.rmdir(final)
                os.rename(tmp, final)
            return
        if not os.path.exists(final):
            os.rename(tmp, final)
            return
        if not os.path.isdir(final):
            raise KhabarError(f"{final}: exists and is not a folder; choose another output path")
        for name in os.listdir(tmp):
            target = os.path.join(final, name)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            os.replace(os.path.join(tmp, name), target)
        os.rmdir(tmp)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def staged_file(path: str, what: str = "--output"):
    """A text file written under a temporary name beside `path` and renamed when complete: a
    failure leaves nothing (and never a half-written `path`).

    A symlink is written through (its target replaced, the link kept); a device or named pipe
    (`is_stream`: /dev/null, a FIFO) is written to in place as a stream, never replaced. A new
    file gets the mode `open` would give it (the umask), a replaced one keeps its mode.
    """
    target = os.path.realpath(path)
    if is_stream(target):
        try:
            with open(target, "w", encoding="utf-8", newline="") as fh:
                yield fh
        except OSError as exc:
            raise KhabarError(f"{what} {path}: cannot write ({write_error(exc)})") from None
        return
    folder = os.path.dirname(target)
    try:
        os.makedirs(folder, exist_ok=True)
        mode = stat.S_IMODE(os.stat(target).st_mode) if os.path.isfile(target) else 0o666 & ~umask()
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=INCOMPLETE, dir=folder)
    except OSError as exc:
        raise KhabarError(f"{what} {path}: cannot write ({write_error(exc)}); choose a writable path") from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        raise KhabarError(f"{what} {path}: cannot write ({write_error(exc)}); nothing was written") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_error(exc: OSError) -> str:
    """What an OSError of a write says, in a few words: "No space left on device", "File too
    large" (the file-size limit), "Read-only file system", "Permission denied"."""
    return exc.strerror or type(exc).__name__


def safe_name(name: str) -> str:
    """A result's name as part of a file name: letters, digits, '-', '_' and '.' kept, others '_'."""
    out = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip(".")
    return out or "result"


def read_mapping(path: str) -> dict:
    """A run's JSON or YAML file (metrics.json, provenance.json, config.yaml) as a mapping: {} when
    the file is absent, one `KhabarError` line when it is unreadable or holds no mapping."""
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = safe_yaml.load(fh, path) if path.endswith((".yaml", ".yml")) else json.load(fh)
    except (OSError, ValueError, RecursionError, yaml.YAMLError) as exc:
        raise KhabarError(f"{path}: cannot read ({' '.join(str(exc).split())[:120]}); restore the file or re-train") from None
    if not isinstance(data, dict):
        raise KhabarError(f"{path}: holds no mapping of keys; restore the file or re-train")
    return data


def write_json(path: str, data) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)


def write_predictions(predictions: list[dict], path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for p in predictions:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")


def example_texts(groups: Sequence[Sequence[Example]]) -> dict[str, str]:
    """id -> the text a report shows for it (claim || text for stance)."""
    return {ex.id: ex.text if ex.text_pair is None else f"{ex.text} || {ex.text_pair}" for items in groups for ex in items}


def write_results(directory: str, title: str, results: Mapping[str, dict], metrics: dict,
                  texts: Mapping[str, str], examples_shown: int = 8) -> None:
    """metrics.json, predictions.jsonl and confusion_matrix.png of the main result (test, else dev,
    else the only one; for a multi-label result the per-label decision counts), reliability_<name>.png
    of every single-label result (reliability diagram and risk–coverage curve), and report.md with
    every result: what a run and `evaluate --out` share."""
    # imported here, not at the top: reading runs (compare, runs list, choosing a run) needs this
    # module's readers without scikit-learn and matplotlib
    from .report import plot_confusion, plot_reliability, report_markdown

    write_json(os.path.join(directory, "metrics.json"), metrics)
    main = next((name for name in ("test", "dev") if name in results), next(iter(results), None))
    if main is not None:
        write_predictions(results[main]["predictions"], os.path.join(directory, "predictions.jsonl"))
        plot_confusion(results[main], os.path.join(directory, "confusion_matrix.png"), f"{title}: {main}")
    for name, result in results.items():
        plot_reliability(result, os.path.join(directory, f"reliability_{safe_name(name)}.png"), f"{title}: {name}")
    with open(os.path.join(directory, "report.md"), "w", encoding="utf-8") as fh:
        fh.write(report_markdown(title, list(results.items()), texts, examples_shown))


def write_evaluation(result: dict, out_dir: str, title: str, examples: Sequence[Example], prefix: str = "eval") -> dict:
    """`khabar evaluate --out`: the files of one evaluation, all or nothing; returns the flat metrics."""
    from .evaluate import flat_metrics

    flat = flat_metrics(result, prefix)
    with staged(out_dir) as tmp:
        write_results(tmp, title, {prefix: result}, flat, example_texts([examples]))
    return flat
