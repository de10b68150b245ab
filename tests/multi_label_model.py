"""A small multi-label topic corpus (a JSON-lines "labels" list per article, a few articles with two
topics) and a TF-IDF model trained on it through the config path, for the serving and CLI tests."""

from __future__ import annotations

import json
from pathlib import Path

SPORTS = ["فاز الفريق في المباراة النهائية للدوري", "سجل اللاعب هدفين في المباراة",
          "المدرب يعلن تشكيلة المنتخب للمباراة", "الفريق يتصدر الدوري بعد الفوز",
          "الحارس يتألق في مباراة الكأس", "المنتخب يتأهل إلى نهائي البطولة",
          "اللاعب يصاب قبل المباراة الحاسمة", "الجمهور يحتفل بفوز الفريق بالكأس"]
FINANCE = ["ارتفع مؤشر البورصة في ختام التداول", "البنك المركزي يرفع سعر الفائدة",
           "تراجعت أسعار النفط في الأسواق العالمية", "أرباح الشركة ترتفع في الربع الثالث",
           "الأسهم تهبط في البورصة بعد قرار البنك", "التضخم يرتفع وأسعار الفائدة تتبعه",
           "المستثمرون يبيعون الأسهم في البورصة", "الدينار يتراجع أمام الدولار في السوق"]
POLITICS = ["الحكومة تعلن خطة جديدة للإصلاح", "البرلمان يصوت على قانون الانتخابات",
            "الرئيس يستقبل وزير الخارجية", "الوزراء يناقشون مشروع القانون في الحكومة",
            "البرلمان يسائل الحكومة عن الإصلاح", "الرئيس يوقع قانون الانتخابات الجديد",
            "وزير الخارجية يزور العاصمة", "المعارضة تنتقد الحكومة في البرلمان"]
#: two topics at once: a club's money, a government's budget
SPORTS_FINANCE = ["أسهم النادي ترتفع في البورصة بعد فوز الفريق في المباراة",
                  "النادي يعلن أرباح الموسم بعد الفوز بالدوري والبورصة ترحب",
                  "البنك يمول صفقة اللاعب والفريق يفوز بالمباراة",
                  "البورصة تتفاعل مع انتقال اللاعب وأسهم النادي تقفز بعد المباراة",
                  "أرباح النادي من المباراة النهائية ترفع أسهمه",
                  "المنتخب يفوز والبنك يعلن مكافأة اللاعبين من أرباحه"]
POLITICS_FINANCE = ["الحكومة تعلن موازنة جديدة والبورصة ترتفع", "البرلمان يصوت على ضريبة الأسهم في البورصة",
                    "وزير المالية في الحكومة يرفع أسعار الفائدة", "الرئيس يناقش مع الحكومة أسعار النفط والبورصة",
                    "البرلمان يقر موازنة الحكومة وأسعار الفائدة", "الحكومة تبيع أسهمها في البنك والبرلمان يعترض"]

#: an article that is clearly both sports and finance, and one that is plainly sports
BOTH = "أسهم النادي ترتفع في البورصة بعد فوز الفريق في المباراة النهائية"
ONE = "سجل اللاعب هدف الفوز في المباراة"


def rows() -> list[dict]:
    """The corpus, each row with an explicit split: in each group the first item is test, the next
    (three for the two-topic groups, whose thresholds dev must inform) dev, the rest train."""
    groups = [(SPORTS, ["sports"], 1), (FINANCE, ["finance"], 1), (POLITICS, ["politics"], 1),
              (SPORTS_FINANCE, ["sports", "finance"], 3), (POLITICS_FINANCE, ["politics", "finance"], 3)]
    out = []
    for texts, labels, dev in groups:
        for i, text in enumerate(texts):
            split = "test" if i == 0 else "dev" if i <= dev else "train"
            out.append({"id": f"{'-'.join(labels)}-{i}", "text": text, "labels": labels, "split": split})
    return out


def write_corpus(path: Path) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows()), encoding="utf-8")
    return path


def config_dict(data: Path, allow_no_label: bool = False) -> dict:
    """The config of the multi-label model (TF-IDF, its default classifier)."""
    raw = {"name": "multi_label_test", "task": "topic", "multi_label": True,
           "data": {"path": [str(data)], "label_column": "labels"},
           "model": {"kind": "tfidf", "min_df": 1}, "train": {"seed": 3}}
    if allow_no_label:
        raw["predict"] = {"allow_no_label": True}
    return raw


def train_multi_label(folder: Path, allow_no_label: bool = False) -> Path:
    """Write the corpus to `folder`, fit the model on it through `fit_from_config`, save it to
    `folder/model` and return that directory."""
    from khabar.config import config_from_dict
    from khabar.runs.train import fit_from_config

    data = write_corpus(folder / "topics.jsonl")
    model, _ = fit_from_config(config_from_dict(config_dict(data, allow_no_label)), lambda *a, **k: None)
    directory = folder / "model"
    model.save(str(directory))
    return directory
