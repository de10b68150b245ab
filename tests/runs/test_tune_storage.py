"""`khabar tune --storage` and workers sharing a study (issue 24, class 6): every bad storage is one
line naming --storage (generated: garbage journals, unknown schemes, paths that are no file to
write), two workers never draw the same trials while one worker alone draws the same ones run after
run, and the budget counts every live worker's trials."""

from __future__ import annotations

import os

import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khabar.errors import KhabarError
from khabar.runs.tune_storage import open_study, spent, trial_seeded_sampler

optuna.logging.set_verbosity(optuna.logging.ERROR)


def opened(url, folder):
    return open_study(url, os.path.join(folder, "study.journal"), study_name="s", direction="maximize")


@settings(max_examples=25)
@given(st.binary(min_size=1, max_size=200).filter(lambda b: b.strip()))
def test_a_garbage_journal_is_one_line(tmp_path_factory, garbage):
    folder = tmp_path_factory.mktemp("j")
    path = folder / "garbage.journal"
    path.write_bytes(garbage)
    with pytest.raises(KhabarError) as caught:
        opened(str(path), str(folder))
    assert str(caught.value).startswith(f"--storage {path}: ") and "\n" not in str(caught.value)


@settings(max_examples=25)
@given(st.from_regex(r"[a-z][a-z0-9]{1,8}", fullmatch=True).filter(
    lambda s: s not in ("sqlite", "postgresql", "mysql", "oracle", "mssql", "redis")))
def test_an_unknown_scheme_is_one_line(tmp_path_factory, scheme):
    with pytest.raises(KhabarError, match=f"unknown scheme '{scheme}'"):
        opened(f"{scheme}://127.0.0.1/db", str(tmp_path_factory.mktemp("s")))


def test_bad_places_and_drivers_are_one_line(tmp_path):
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "not_sqlite.db").write_bytes(b"this is not a database" * 100)
    cases = {
        str(tmp_path / "missing" / "study.journal"): "does not exist",
        str(tmp_path / "a_folder"): "is a folder",
        f"sqlite:///{tmp_path / 'missing' / 'x.db'}": "cannot",
        f"sqlite:///{tmp_path / 'not_sqlite.db'}": "cannot open the study",
        "postgresql+nosuchdriver://127.0.0.1/db": "cannot open the study",
    }
    for url, words in cases.items():
        with pytest.raises(KhabarError) as caught:
            opened(url, str(tmp_path))
        message = str(caught.value)
        assert message.startswith(f"--storage {url}") and words in message and "\n" not in message, message


def draws(study, sampler, n):
    out = []
    for _ in range(n):
        trial = study.ask()
        out.append(round(trial.suggest_float("C", 0.01, 100, log=True), 12))
        study.tell(trial, 0.5)
    return out


@given(st.integers(0, 2**31 - 1))
def test_two_workers_never_draw_alike_and_one_worker_repeats_itself(seed):
    storage = optuna.storages.InMemoryStorage()
    shared = optuna.create_study(storage=storage, sampler=trial_seeded_sampler(seed))  # worker 1's view
    other = optuna.load_study(study_name=shared.study_name, storage=storage,  # worker 2, the same seed
                              sampler=trial_seeded_sampler(seed))
    first, second = [], []
    for _ in range(4):
        first += draws(shared, None, 1)
        second += draws(other, None, 1)
    assert not set(first) & set(second)
    alone = [optuna.create_study(sampler=trial_seeded_sampler(seed)) for _ in range(2)]
    assert draws(alone[0], None, 6) == draws(alone[1], None, 6)


def test_the_budget_counts_running_trials_of_live_workers_only(tmp_path):
    study = opened(None, str(tmp_path))
    done = study.ask()
    study.tell(done, 1.0)
    live = study.ask()
    live.set_user_attr("worker", f"{os.uname().nodename}:{os.getpid()}")
    dead = study.ask()
    dead.set_user_attr("worker", f"{os.uname().nodename}:999999999")
    elsewhere = study.ask()
    elsewhere.set_user_attr("worker", "another-host:1")
    assert spent(study) == 3  # finished, live here, and the other host's (cannot be checked)
