"""khabar.models.tfidf.parallel: a large batch predicted in worker processes gives what one process gives."""

from __future__ import annotations

import numpy as np
import pytest

import khabar.models.tfidf.parallel as parallel
from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.base import load_model
from khabar.models.tfidf.model import TfidfModel
from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams
from khabar.normalize import NormalizeConfig

SPORT = ["فاز الفريق بالمباراة وسجل المهاجم هدفين", "خسر المنتخب أمام منافسه في البطولة", "تأهل النادي إلى نهائي الكأس"]
MONEY = ["ارتفعت أسعار الأسهم في البورصة", "انخفضت أسعار الفائدة على القروض", "أعلنت الشركة عن أرباح قياسية"]
HEALTH = ["افتتح المستشفى قسما جديدا لعلاج القلب", "حذر الأطباء من انتشار الفيروس", "نجح الجراحون في عملية زرع كلية"]
# inputs with words no training text has (cut into character n-grams on the fly in each process)
BATCH = [f"{a} {b} والمدرب {k}" for k, (a, b) in enumerate(zip(SPORT * 4 + MONEY * 4, HEALTH * 8))] * 2


def _fit(rows, task="topic", **params):
    settings = dict(min_df=1, classifier="logreg", C=10.0, word_ngrams=(1, 1), char_ngrams=(3, 4))
    settings.update(params)
    model = TfidfModel(task, TfidfParams(**settings), SeedOnlyTrain(), NormalizeConfig(preset="light"))
    return model.fit([Example(id=f"e{i}", text=text, label=label) for i, (text, label) in enumerate(rows)])


def _rows(*groups):
    return [(text, label) for label, texts in groups for text in texts]


@pytest.fixture
def three_processes(monkeypatch):
    """Batches of 15 or more inputs shared among 3 processes (this one and two workers)."""
    monkeypatch.setattr(parallel, "PARALLEL_ROWS", 5)
    monkeypatch.setattr(parallel, "available_cores", lambda: 3)
    assert parallel.processes_for(len(BATCH)) == 3


def _one_process(model, inputs):
    return model.classifier_proba(inputs)


def test_a_batch_in_three_processes_is_the_batch_in_one(three_processes):
    model = _fit(_rows(("Sports", SPORT), ("Finance", MONEY), ("Medical", HEALTH)))
    shared = model.predict_proba(BATCH)
    assert shared.shape == (len(BATCH), 3)
    assert np.array_equal(shared, _one_process(model, BATCH))
    assert model.predict(BATCH) == [model.labels_[j] for j in shared.argmax(axis=1)]


def test_a_saved_and_loaded_model_predicts_in_workers_too(three_processes, tmp_path):
    _fit(_rows(("Sports", SPORT), ("Finance", MONEY))).save(str(tmp_path / "model"))
    model = load_model(str(tmp_path / "model"))
    assert np.array_equal(model.predict_proba(BATCH), _one_process(model, BATCH))


def test_a_refitted_model_is_not_served_by_the_workers_stale_copy(three_processes):
    model = _fit(_rows(("Sports", SPORT), ("Finance", MONEY)))
    model.predict_proba(BATCH)  # the workers now hold this fit
    model.fit([Example(id=f"r{i}", text=t, label=lab)
               for i, (t, lab) in enumerate(_rows(("Medical", HEALTH), ("Finance", MONEY), ("Sports", SPORT)))])
    refit = model.predict_proba(BATCH)
    assert refit.shape == (len(BATCH), 3)
    assert np.array_equal(refit, _one_process(model, BATCH))


def test_stance_pairs_are_shared_among_processes_too(three_processes):
    claim = "ارتفعت أسعار النفط"
    rows = [((claim, "ارتفعت أسعار النفط في الأسواق اليوم"), "agree"), ((claim, "نفت الوزارة ارتفاع أسعار النفط"), "disagree"),
            ((claim, "فاز الفريق بالمباراة"), "unrelated"), ((claim, "أكد الخبراء ارتفاع أسعار النفط"), "agree"),
            ((claim, "لم ترتفع أسعار النفط كما زعمت التقارير"), "disagree"), ((claim, "افتتح المستشفى قسما جديدا"), "unrelated")]
    model = TfidfModel("stance", TfidfParams(min_df=1, classifier="logreg", C=10.0), SeedOnlyTrain(), NormalizeConfig())
    model.fit([Example(id=f"s{i}", text=c, text_pair=t, label=lab) for i, ((c, t), lab) in enumerate(rows)])
    pairs = [(claim, text) for text in BATCH]
    assert np.array_equal(model.predict_proba(pairs), _one_process(model, pairs))


def test_a_bad_input_in_a_workers_slice_is_named_by_its_row_in_the_batch(three_processes):
    model = _fit(_rows(("Sports", SPORT), ("Finance", MONEY)))
    batch = list(BATCH)
    batch[len(batch) - 3] = "\u064e\u0650"  # only diacritics: nothing left to label, in the last process's slice
    with pytest.raises(KhabarError, match=f"^input {len(batch) - 2}: nothing to read"):
        model.predict_proba(batch)


@pytest.mark.parametrize("sizes, parts", [([10] * 10, 2), ([1] * 9 + [1000], 2), ([1000] + [1] * 5, 3), ([5, 80, 3, 40, 40, 2, 9], 3), ([1] * 50 + [100] * 10, 2)])
def test_slices_hold_about_as_many_characters_each_and_at_least_one_input(sizes, parts):
    inputs = ["ب" * n for n in sizes]
    bounds = parallel.slice_bounds(inputs, parts)
    assert bounds[0] == 0 and bounds[-1] == len(inputs) and len(bounds) == parts + 1
    assert all(a < b for a, b in zip(bounds, bounds[1:]))  # no empty slice
    share, longest = (sum(sizes) + len(sizes)) / parts, max(sizes) + 1
    slices = [sum(sizes[a:b]) + (b - a) for a, b in zip(bounds, bounds[1:])]
    assert max(slices) <= share + longest  # no slice holds more than its share and one input


def test_a_claim_and_its_text_count_together():
    """The first pair's long claim is most of the first slice's characters (counting only the
    texts would put the cut near the middle of the list)."""
    pairs = [("ا" * 300, "ن")] + [("ا", "ن" * 10)] * 30
    assert parallel.slice_bounds(pairs, 2)[1] <= 5


def test_a_process_pinned_to_one_core_predicts_alone(monkeypatch):
    """The cores counted are those the process may run on (a container or taskset narrows them),
    not the machine's."""
    monkeypatch.setattr(parallel, "PARALLEL_ROWS", 5)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 64)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert parallel.available_cores() == 1
    assert parallel.processes_for(10_000) == 1
