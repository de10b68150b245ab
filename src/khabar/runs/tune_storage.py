"""Where a tune study lives and how its workers share it: the storage, opened with one line for
every bad `--storage`, a sampler seeded per trial, and the trial budget counted across workers.

Why apart from `tune`: these are the parts several processes meet in. Two workers on one journal
used to seed their samplers alike (the config's seed) and so propose the same trials; one worker
could start a trial after the others had spent the budget; and every bad storage (a missing
folder, a folder, garbage in the journal, an unknown scheme, a missing database driver) was an
Optuna or SQLAlchemy traceback.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from ..errors import KhabarError
from .run_dir import check_writable

#: Seconds after which a journal lock left by a killed process is taken over. Optuna's default
#: (30 s) made every resume after a kill wait that long; a write holds the lock for milliseconds.
LOCK_GRACE_SECONDS = 5


def open_study(url: str | None, default_path: str, **create: Any):
    """`optuna.create_study(storage=..., load_if_exists=True, **create)` on a journal file (the
    default, or a path) or an Optuna storage URL; one `KhabarError` line naming --storage for
    anything that cannot be opened."""
    import optuna

    what = f"--storage {url}" if url else f"the study journal {default_path}"
    try:
        storage = _storage(url, default_path, what)
        return optuna.create_study(storage=storage, load_if_exists=True, **create)
    except KhabarError:
        raise
    except Exception as exc:  # Optuna, SQLAlchemy and drivers raise many types; each is this one line
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise KhabarError(f"{what}: cannot open the study ({reason}); give a journal file path in a writable "
                          "folder, or a URL such as sqlite:///study.db with its driver installed") from None


def _storage(url: str | None, default_path: str, what: str):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock

    if url is not None and "://" in url:
        scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
        if scheme not in ("sqlite", "postgresql", "mysql", "oracle", "mssql", "redis"):
            raise KhabarError(f"{what}: unknown scheme {scheme!r}; use a journal file path, sqlite:///study.db, "
                              "postgresql://host/db or mysql://host/db")
        if scheme == "sqlite" and url.startswith("sqlite:///"):
            path = url[len("sqlite:///"):].split("?", 1)[0]
            if path and path != ":memory:":
                check_writable(path, what, folder=False)
        return url
    path = url or default_path
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise KhabarError(f"{what}: folder {folder} does not exist; create it or choose another path")
    check_writable(path, what, folder=False)
    if os.path.isfile(path) and os.path.getsize(path):
        _check_journal(path, what)
    return JournalStorage(JournalFileBackend(path, lock_obj=JournalFileSymlinkLock(path, LOCK_GRACE_SECONDS)))


def _check_journal(path: str, what: str) -> None:
    """An Optuna journal is JSON lines; anything else (a database, a text file) is refused here."""
    import json

    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict) or "op_code" not in record:
                raise KhabarError(f"{what}: line {number} is not an Optuna journal record; this file is not a study "
                                  "journal: choose another path, or sqlite:///file.db for a database")
            if number >= 3:
                return  # the head of the file tells; a torn last line is Optuna's own to repair


def trial_seeded_sampler(seed: int):
    """A TPE sampler whose randomness comes from `seed` and the trial's number: the study gives
    each trial a number once, across every worker, so two workers never draw alike, and one worker
    alone draws the same trials run after run."""
    import optuna

    class TrialSeeded(optuna.samplers.BaseSampler):
        def __init__(self) -> None:
            self.samplers: dict[int, optuna.samplers.TPESampler] = {}

        def for_trial(self, trial) -> "optuna.samplers.TPESampler":
            if trial.number not in self.samplers:
                self.samplers = {trial.number: optuna.samplers.TPESampler(seed=seed + trial.number),
                                 **{k: v for k, v in self.samplers.items() if k > trial.number - 64}}
            return self.samplers[trial.number]

        def infer_relative_search_space(self, study, trial):
            return self.for_trial(trial).infer_relative_search_space(study, trial)

        def sample_relative(self, study, trial, search_space):
            return self.for_trial(trial).sample_relative(study, trial, search_space)

        def sample_independent(self, study, trial, param_name, param_distribution):
            return self.for_trial(trial).sample_independent(study, trial, param_name, param_distribution)

        def before_trial(self, study, trial) -> None:
            self.for_trial(trial).before_trial(study, trial)

        def after_trial(self, study, trial, state, values) -> None:
            self.for_trial(trial).after_trial(study, trial, state, values)

    return TrialSeeded()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def spent(study) -> int:
    """Trials that count against the study's budget, every worker's: the finished ones and those
    running in a live worker (a trial left "running" by a killed process on this host does not
    count; one on another host is counted, as it cannot be checked; one whose worker was never
    recorded does not count: at worst one worker starts one trial too many at the same moment)."""
    from optuna.trial import TrialState

    here = socket.gethostname()
    count = 0
    for t in study.get_trials(deepcopy=False):
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
            count += 1
        elif t.state == TrialState.RUNNING:
            host, _, pid = str(t.user_attrs.get("worker", "")).rpartition(":")
            if pid.isdigit():  # a trial whose worker was never recorded was killed at its start
                count += host != here or _alive(int(pid))
    return count


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
