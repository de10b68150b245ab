"""`khabar tune`: a study on the sample, scored on dev only, resumable, shareable, refusing bad spaces."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from repo import ROOT

from khabar.errors import KhabarError

TOPIC = ROOT / "data" / "sample" / "topic.jsonl"


def tune_config(tmp_path: Path, space: dict, trials: int = 3, **tune) -> str:
    """A tune config extending the shipped sample config, writing under tmp_path."""
    raw = {"base": str(ROOT / "configs" / "sample_topic_tfidf.yaml"), "output_dir": str(tmp_path / "out"),
           "data": {"path": str(TOPIC)}, "tune": {"space": space, "trials": trials, **tune}}
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(path)


SPACE = {"model.C": {"log_uniform": [0.1, 10]}, "model.char_ngrams": {"choice": [None, [2, 4]]}}


def study_trials(folder: str):
    """(state name, worker) of every trial in the default journal study of `folder`."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(os.path.join(folder, "study.journal")))
    study = optuna.load_study(study_name="sample_topic_tfidf", storage=storage)
    return [(t.state.name, t.user_attrs.get("worker")) for t in study.trials]


def test_three_trials_write_the_best_config_and_never_see_test(tmp_path, monkeypatch):
    from khabar.config import load_config
    from khabar.data import load_splits
    from khabar.runs import tune as tune_module

    seen: list[str] = []
    real_evaluate, real_fit = tune_module.evaluate_model, tune_module.fit_from_config

    def spy_evaluate(model, examples, *args, **kwargs):
        seen.extend(ex.id for ex in examples)
        return real_evaluate(model, examples, *args, **kwargs)

    def spy_fit(config, progress=None, splits=None, **kwargs):
        seen.extend(ex.id for ex in splits.train + splits.test)
        return real_fit(config, progress, splits=splits, **kwargs)

    monkeypatch.setattr(tune_module, "evaluate_model", spy_evaluate)
    monkeypatch.setattr(tune_module, "fit_from_config", spy_fit)
    path = tune_config(tmp_path, SPACE)
    result = tune_module.tune(path)

    config = load_config(path)
    splits = load_splits(config.data, config.task, config.train.seed, config.source)
    assert seen and not set(seen) & {ex.id for ex in splits.test}, "a trial saw the test split"
    assert len(result.trials) == 3 and all(r["state"] == "complete" for r in result.trials)
    assert result.best_value == max(r["dev"] for r in result.trials)
    for name in ("best.yaml", "trials.csv", "trials.md", "history.png"):
        assert os.path.getsize(os.path.join(result.folder, name)) > 0
    best = load_config(result.best_config)
    assert best.name == "sample_topic_tfidf_tuned"
    assert best.model.C == pytest.approx(result.best_params["model.C"])
    assert best.model.char_ngrams == result.best_params["model.char_ngrams"]
    with open(os.path.join(result.folder, "trials.csv"), encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 3


def test_final_trains_the_best_config_once_as_a_normal_run(tmp_path):
    from khabar.runs.tune import tune

    result = tune(tune_config(tmp_path, SPACE, trials=2), final=True)
    assert result.final is not None
    assert os.path.basename(os.path.dirname(result.final.run_dir)) == "sample_topic_tfidf_tuned"
    assert "test.macro_f1" in result.final.metrics


def test_a_failing_trial_is_recorded_and_the_study_goes_on(tmp_path):
    from khabar.runs.tune import tune

    # min_df 1000 is a valid config value that fails at fit time on 163 training articles
    # the sampler's first trials are random; with this seed both values come up in 8 trials
    result = tune(tune_config(tmp_path, {"model.min_df": {"choice": [1, 1000]}}, trials=8, seed=0))
    states = {r["model.min_df"]: r["state"] for r in result.trials}
    assert states.get(1000) == "fail" and states.get(1) == "complete"
    assert all(r["reason"] for r in result.trials if r["state"] == "fail")


def test_max_fit_seconds_prunes_slow_trials(tmp_path):
    from khabar.runs.tune import tune

    with pytest.raises(KhabarError, match="no trial finished.*max_fit_seconds"):
        tune(tune_config(tmp_path, SPACE, trials=2, max_fit_seconds=1e-9))


@pytest.mark.parametrize("space,words", [
    ({"model.Cee": {"log_uniform": [0.1, 1]}}, ["tune.space.model.Cee", "unknown key"]),
    ({"model.C": {"log_uniform": [1, 0.1]}}, ["tune.space.model.C", "empty range"]),
    ({"model.C": {"log_uniform": [0, 1]}}, ["tune.space.model.C", "positive"]),
    ({"model.C": {"gaussian": [0, 1]}}, ["tune.space.model.C", "choice"]),
    ({"model.C": {"uniform": [-1, 1]}}, ["tune.space.model.C", "-1"]),
    ({"model.min_df": {"int": [1.5, 3]}}, ["tune.space.model.min_df", "whole"]),
    ({"model.classifier": {"choice": ["linear_svc", "forest"]}}, ["tune.space.model.classifier", "forest"]),
    ({"model.word_ngrams": {"choice": []}}, ["tune.space.model.word_ngrams", "non-empty"]),
    ({}, ["tune.space", "empty"]),
])
def test_a_bad_space_is_one_line_before_any_trial(tmp_path, space, words):
    from khabar.runs.tune import tune

    with pytest.raises(KhabarError) as caught:
        tune(tune_config(tmp_path, space))
    message = str(caught.value)
    assert "\n" not in message and all(w in message for w in words), message
    assert not (tmp_path / "out").exists(), "a trial ran, or the study was created, before the check"


def run_tune(path: str, *extra: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "khabar", "tune", path, *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, **popen)


def test_a_killed_study_continues_where_it_stopped(tmp_path, cli, capsys):
    path = tune_config(tmp_path, SPACE, trials=40)
    first = run_tune(path)
    for line in first.stderr:  # wait for the first finished trial, then kill without warning
        if "trial 1/40" in line:
            break
    first.send_signal(signal.SIGKILL)
    first.wait()
    folder = str(tmp_path / "out" / "sample_topic_tfidf" / "tune")
    before = [s for s, _ in study_trials(folder) if s == "COMPLETE"]
    assert 1 <= len(before) < 40
    capsys.readouterr()
    status = cli("tune", path, "--trials", str(len(before) + 2))  # the resume, in this process
    err = capsys.readouterr().err
    assert status == 0, err
    assert f"{len(before)} of {len(before) + 2} trials done" in err
    after = [s for s, _ in study_trials(folder) if s == "COMPLETE"]
    assert len(after) == len(before) + 2


@pytest.mark.slow  # two `khabar tune` processes end to end
def test_two_processes_share_one_study(tmp_path):
    path = tune_config(tmp_path, SPACE, trials=6)
    workers = [run_tune(path) for _ in range(2)]
    for worker in workers:
        out, err = worker.communicate()
        assert worker.returncode == 0, err
    trials = study_trials(str(tmp_path / "out" / "sample_topic_tfidf" / "tune"))
    complete = [w for s, w in trials if s == "COMPLETE"]
    # each worker stops when the study holds 6 finished trials; both may be mid-trial then
    assert 6 <= len(complete) <= 7
    assert len({w for w in complete}) == 2, "both processes ran trials of the one study"
