"""A tiny synthetic outlet and a public prior of another taxonomy, built from word lists.

The prior knows two topics (Sports, Finance) from every word of their lists; the outlet has its own
label names and a third topic the prior never saw, and its labelled articles use only the first
half of each list, its test articles only the second half: what the outlet model cannot learn from
its few labels, only the prior can tell it.
"""

from __future__ import annotations

import random

from khabar.examples import Example
from khabar.models.tfidf.model import TfidfModel
from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams
from khabar.normalize import NormalizeConfig

WORDS = {
    "Sports": ["مباراة", "هدف", "لاعب", "دوري", "منتخب", "مدرب", "ملعب", "بطولة", "حارس", "نادي"],
    "Finance": ["بورصة", "أسهم", "فائدة", "بنك", "أرباح", "تضخم", "ميزانية", "استثمار", "عملة", "قرض"],
    "Weather": ["أمطار", "رياح", "حرارة", "عاصفة", "ثلوج", "غيوم", "رطوبة", "ضباب", "برد", "طقس"],
}
#: the outlet's own names for the prior's topics, and its own third topic
OUTLET = {"Sports": "رياضة", "Finance": "اقتصاد", "Weather": "طقس"}
FILLER = ["قال", "في", "اليوم", "من", "على", "أن", "مع", "بعد"]


def article(topic: str, rng: random.Random, half: str = "all", n: int = 8) -> str:
    words = WORDS[topic]
    words = {"first": words[:5], "second": words[5:], "all": words}[half]
    return " ".join(rng.choice(words) if i % 2 else rng.choice(FILLER) for i in range(n))


def examples(topics, per_topic: int, half: str, seed: int, names=None, prefix: str = "a") -> list[Example]:
    rng = random.Random(seed)
    out = []
    for topic in topics:
        for i in range(per_topic):
            label = (names or {}).get(topic, topic)
            out.append(Example(id=f"{prefix}-{topic}-{i}", text=article(topic, rng, half), label=label))
    return out


def tfidf(**params) -> TfidfModel:
    defaults = dict(word_ngrams=[1, 1], char_ngrams=None, min_df=1, classifier="logreg", C=10.0)
    defaults.update(params)
    return TfidfModel("topic", TfidfParams(**defaults), SeedOnlyTrain(), NormalizeConfig(preset="standard"))


def prior_model(directory) -> str:
    """The public prior (Sports, Finance: every word), saved in `directory`; returns its path."""
    model = tfidf().fit(examples(["Sports", "Finance"], 20, "all", seed=1, prefix="p"))
    model.save(str(directory))
    return str(directory)
