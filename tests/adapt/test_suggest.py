"""khabar.adapt.suggest: which articles to label next, and the strategies that order them."""

from __future__ import annotations

import numpy as np
import pytest
from outlet_corpus import OUTLET, article, examples, tfidf

from khabar.adapt.strategies import STRATEGIES
from khabar.adapt.suggest import suggest, uncertainty
from khabar.errors import KhabarError
from khabar.examples import Example


@pytest.fixture(scope="module")
def model():
    """An outlet model that knows two of the outlet's three topics."""
    return tfidf().fit(examples(["Sports", "Finance"], 4, "all", seed=5, names=OUTLET, prefix="l"))


def pool_of(per_topic=6, seed=6):
    return examples(["Sports", "Finance", "Weather"], per_topic, "all", seed=seed, prefix="u")


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_every_strategy_gives_k_distinct_unlabelled_articles_with_the_models_guess(model, strategy):
    pool = pool_of()
    done = pool[:3]
    out = suggest(model, pool, 5, exclude=done, strategy=strategy)
    assert len(out) == 5 and len({s["id"] for s in out}) == 5
    assert not {s["id"] for s in out} & {ex.id for ex in done}
    assert [s["rank"] for s in out] == [1, 2, 3, 4, 5]
    texts = {ex.id: ex.text for ex in pool}
    for s in out:
        assert s["text"] == texts[s["id"]]
        assert s["guess"]["label"] in model.labels_ and 0 <= s["uncertainty"] <= 1


def test_an_article_already_labelled_under_another_id_is_not_suggested(model):
    pool = pool_of()
    renamed = [Example(id="elsewhere", text=pool[0].text, label="رياضة")]
    out = suggest(model, pool, len(pool), exclude=renamed, strategy="uncertain")
    assert pool[0].id not in {s["id"] for s in out} and len(out) == len(pool) - 1


def test_uncertain_puts_the_least_sure_first(model):
    pool = pool_of()
    out = suggest(model, pool, len(pool), strategy="uncertain")
    proba = model.predict_proba([s["text"] for s in out])
    top = np.sort(proba, axis=1)
    margins = top[:, -1] - top[:, -2]
    assert np.all(np.diff(margins) >= -1e-12)


def test_diverse_does_not_fill_a_batch_with_near_duplicates(model):
    others = pool_of()
    [least_sure] = suggest(model, others, 1, strategy="uncertain")
    # copies of the least sure article; the number is a word the model never saw, so they are equally unsure
    copies = [Example(id=f"dup{i}", text=f"{least_sure['text']} {1000 + i}") for i in range(12)]
    pool = copies + others
    dups = lambda out: sum(s["id"].startswith("dup") for s in out)
    assert dups(suggest(model, pool, 6, strategy="uncertain")) == 6  # the copies are the least sure...
    assert dups(suggest(model, pool, 6, strategy="diverse")) <= 2  # ...but one teaches as much as all of them


def test_a_cold_start_gets_one_representative_per_cluster(model):
    pool = pool_of(per_topic=8)
    out = suggest(model, pool, 3, strategy="auto")  # nothing labelled in the model's labels: a cold start
    topics = {s["id"].split("-")[1] for s in out}
    assert topics == {"Sports", "Finance", "Weather"}


def test_auto_switches_from_spread_representatives_to_diverse_doubt_once_labels_exist(model):
    pool = pool_of(per_topic=8)
    labelled = examples(["Sports"], 2, "all", seed=9, names=OUTLET, prefix="done")
    assert suggest(model, pool, 4, strategy="auto") == suggest(model, pool, 4, strategy="spread")
    assert suggest(model, pool, 4, labelled, "auto") == suggest(model, pool, 4, labelled, "diverse")


def test_balanced_serves_the_rarest_label_first(model):
    pool = pool_of()
    labelled = examples(["Sports"], 5, "all", seed=9, names=OUTLET, prefix="done")  # many Sports, no Finance
    out = suggest(model, pool, 2, labelled, "balanced")
    assert out[0]["guess"]["label"] == OUTLET["Finance"]
    assert {s["guess"]["label"] for s in out} == set(model.labels_)


def test_uncertainty_is_one_minus_the_margin(model):
    proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.7, 0.3]])
    assert np.allclose(uncertainty(model, proba), [1.0, 0.2, 0.6])


def test_bad_requests_are_one_line(model):
    with pytest.raises(KhabarError, match="--strategy"):
        suggest(model, pool_of(), 3, strategy="cleverest")
    with pytest.raises(KhabarError, match="-k"):
        suggest(model, pool_of(), 0)
    assert suggest(model, pool_of()[:2], 5, exclude=pool_of()[:2]) == []


def test_spread_covers_a_label_the_pool_has_few_of_where_representatives_miss_it(model):
    """A cold start whose pool is mostly one label: plain representatives follow the pool's bulk,
    spread gives each label the model guesses a share of the batch."""
    pool = (examples(["Sports"], 30, "all", seed=11, prefix="s")
            + examples(["Finance"], 2, "all", seed=12, prefix="f"))
    guesses = lambda out: [s["guess"]["label"] for s in out]
    spread = suggest(model, pool, 4, strategy="spread")
    assert OUTLET["Finance"] in guesses(spread[:2])  # the rare label in the first picks
    assert OUTLET["Finance"] not in guesses(suggest(model, pool, 4, strategy="representative"))
    assert len({s["id"] for s in spread}) == 4
