"""Fixtures several test folders share: the repository, runs trained once per session on the
embedded sample, a small TF-IDF model, and the tiny BERT (see tiny_bert.py).

Fixtures only one folder uses live in that folder's conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path

# One torch/OpenMP thread per process unless the caller says otherwise: the tests' models are tiny,
# so two threads gain nothing on a quiet machine, and on a busy one a parallel region waits for its
# slowest thread (a fixture that takes 1 s took 50 s while other jobs held the cores). Set before
# any test module imports torch.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from repo import ROOT  # noqa: E402
from sample_runs import train_in_root  # noqa: E402
from tiny_bert import stance_data, tiny_bert_dir, topic_data  # noqa: E402, F401  (session fixtures, registered once here)

# Property tests never depend on the clock: no per-example deadline and no "too slow" health check
# (a loaded machine would fail them). A test that sets no number of examples runs 25 in the default
# suite (short `make test`) and hypothesis' 100 under KHABAR_HYPOTHESIS=full, which `make test-slow`
# sets when it runs every property test again (-m "slow or hypothesis"); a test's own
# `max_examples` counts in both.
settings.register_profile("khabar", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          max_examples=100 if os.environ.get("KHABAR_HYPOTHESIS") == "full" else 25)
settings.load_profile("khabar")


@pytest.fixture(autouse=True)
def khabar_notices():
    """khabar's notices on (the level the `khabar` command runs at), so tests can read them on
    stderr; a library call is quieter by default (tests/test_api.py checks that in a subprocess)."""
    import logging

    from khabar.log import LOGGER, set_verbosity

    level = LOGGER.level
    set_verbosity(logging.INFO)
    yield
    set_verbosity(level)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def topic_run(tmp_path_factory):
    """A TF-IDF topic run on the embedded sample (trained once)."""
    return train_in_root("sample_topic_tfidf.yaml", tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="session")
def stance_run(tmp_path_factory):
    """A TF-IDF stance run on the embedded sample (trained once)."""
    return train_in_root("sample_stance_tfidf.yaml", tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="session")
def small_tfidf_dir(tmp_path_factory) -> Path:
    """A TF-IDF topic model (logistic regression, min_df 1) trained once on SMALL_TOPIC_TRAIN;
    the directory of the saved model."""
    from khabar.examples import Example
    from khabar.models.tfidf.model import TfidfModel
    from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams
    from khabar.normalize import NormalizeConfig
    from small_corpus import SMALL_TOPIC_TRAIN

    train = [Example(id=f"{label}-{i}", text=text, label=label)
             for label, texts in SMALL_TOPIC_TRAIN.items() for i, text in enumerate(texts)]
    directory = tmp_path_factory.mktemp("tfidf") / "model"
    TfidfModel("topic", TfidfParams(classifier="logreg", min_df=1), SeedOnlyTrain(), NormalizeConfig()).fit(train).save(str(directory))
    return directory


@pytest.fixture(scope="module")
def local_ray():
    """A local two-CPU Ray for a module's Ray tests (skipped without the `ray` extra)."""
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'khabar[ray]'")
    pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install 'khabar[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


def run_cli(*argv: str) -> int:
    """`khabar ARGV` in this process: its exit status, whether `main` returns it or argparse exits."""
    from khabar.cli import main

    try:
        return main(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2


@pytest.fixture
def cli():
    """`cli("predict", run_dir, "--text", ...)` -> the exit status of `khabar ...` run in this process."""
    return run_cli
