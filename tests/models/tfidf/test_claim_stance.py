"""Claim-article stance: sentence offsets, the cues read near the claim, the sentence an
explanation names, and the shipped UnifiedFC config on a tiny synthetic claim/article set (no
shared data)."""

from __future__ import annotations

import gzip
import json
import os

import numpy as np
import pytest

from khabar.models.base import load_model
from khabar.models.tfidf.claim_sentences import deciding_sentence, sentence_spans
from khabar.models.tfidf.stance_cues import CUE_COLUMNS, DENIAL, HEDGE, REPORTING, cue_columns, cue_flags
from khabar.models.tfidf.text_signals import sentences, tokens

LONG = " ".join(["كلمة"] * 150)  # 750 characters, no punctuation: cut at spaces


@pytest.mark.parametrize("text", [
    "قالت الحكومة إن الضرائب سترتفع. ونفى الوزير ذلك! هل هذا صحيح؟ نعم",
    "\n\nسطر أول\n\nسطر ثان،  ثم جزء؛ وآخر.  ",
    LONG + ". " + LONG,
    "",
    "...",
])
def test_sentence_spans_are_the_features_sentences_as_offsets(text):
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == sentences(text)
    assert all(a < b for a, b in spans) and all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))


def test_cue_flags_read_through_clitics():
    assert cue_flags("وبحسب") & REPORTING and cue_flags("قال") & REPORTING
    assert cue_flags("نفت") & DENIAL and cue_flags("بالشائعات") & DENIAL
    assert cue_flags("ربما") & HEDGE
    assert cue_flags("الحكومه") == 0 and cue_flags("الضرائب") == 0


def _columns(claim, article, similarity=None):
    parts = [tokens(s) for s in sentences(article)]
    sims = np.zeros(len(parts)) if similarity is None else np.asarray(similarity, dtype=float)
    return dict(zip(CUE_COLUMNS, cue_columns(tokens(claim), parts, sims, best_sentences=2)))


CLAIM = "الحكومة ترفع الضرائب على الوقود"


def test_denial_beside_the_claims_words_counts_as_denial_near():
    denied = _columns(CLAIM, "طقس مشمس في العاصمة. نفت الحكومة أنها ترفع الضرائب على الوقود.")
    asserted = _columns(CLAIM, "طقس مشمس في العاصمة. الحكومة ترفع الضرائب على الوقود اليوم.")
    assert denied["denial_near"] > 0 and denied["denial_near_share"] == 1.0
    assert asserted["denial_near"] == 0 and asserted["reporting_near"] == 0
    assert denied["near_sentences"] == asserted["near_sentences"] > 0


def test_cues_far_from_the_claim_do_not_count_as_near():
    far = _columns(CLAIM, "نفت الشركة خبر الاندماج. الحكومة ترفع الضرائب على الوقود.")
    assert far["denial_near"] == 0 and far["denial_whole"] > 0


def test_reporting_near_the_claim_and_the_best_sentence_rates():
    article = "الحكومة ترفع الضرائب على الوقود بحسب مصادر مطلعة. الطقس حار."
    found = _columns(CLAIM, article, similarity=[0.9, 0.0])
    assert found["reporting_near"] > 0 and found["reporting_near_share"] == 1.0
    assert found["reporting_best"] > found["reporting_whole"] > 0  # the cue is in the best sentence only
    flipped = _columns(CLAIM, article, similarity=[0.0, 0.9])
    assert flipped["reporting_best"] == 0


def test_no_sentences_gives_zero_columns():
    assert cue_columns(tokens(CLAIM), [], np.zeros(0), 3) == [0.0] * len(CUE_COLUMNS)


def test_deciding_sentence_sums_word_shares_per_sentence():
    text = "أولى جملة هنا. ثانية فيها نفي ونفي. ثالثة"
    spans = {("text", "نفي"): [(text.index("نفي"), text.index("نفي") + 3), (text.index("ونفي") + 1, text.index("ونفي") + 4)],
             ("text", "أولى"): [(0, 4)], ("claim", "نفي"): [(0, 3)]}
    picked = deciding_sentence(text, {("text", "نفي"): 1.0, ("text", "أولى"): 0.8, ("claim", "نفي"): 5.0}, spans)
    assert text[picked["start"]:picked["end"]] == " ثانية فيها نفي ونفي"
    assert picked["weight"] == pytest.approx(1.0)  # the claim's word is not the article's
    assert deciding_sentence(text, {("text", "أولى"): -1.0}, spans) is None


# -- the shipped config on synthetic pairs ----------------------------------------------------------
CLAIMS = ["الجيش يسيطر على مدينة حلب بالكامل", "انفجار يهز العاصمة دمشق صباح اليوم",
          "المعارضة توقع اتفاق هدنة في الغوطة", "الحكومة ترفع أسعار الوقود في سوريا"]
FILLER = "وفي سياق آخر تستمر الاجتماعات الدولية حول الملف الإنساني وسط تحذيرات من تفاقم الأوضاع."


def _article(claim, label, i):
    other = CLAIMS[(CLAIMS.index(claim) + 1) % len(CLAIMS)]
    if label == "agree":
        body = f"{claim} وفق ما شاهده السكان."
    elif label == "disagree":
        body = f"نفت المصادر الرسمية أن {claim} ووصفت الخبر بأنه شائعات مفبركة."
    elif label == "discuss":
        body = f"قالت مصادر إعلامية إن {claim} بحسب تقارير لم يتسن التأكد منها."
    else:
        body = f"{other} في تطور جديد."
    return f"{FILLER} {body} {FILLER} رقم {i}."


def _write_pairs(path, splits):
    rows = []
    for c, claim in enumerate(CLAIMS):
        for label in ("agree", "disagree", "discuss", "unrelated"):
            for k in range(3):
                i = len(rows)
                rows.append({"id": f"p{i}", "claim": claim, "article": _article(claim, label, i), "label": label,
                             "fold": 3 + c % 3, "split": splits[(c + k) % len(splits)]})
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return rows


@pytest.mark.parametrize("splits", [("train", "train", "dev", "test"), ("train", "train", "dev")])
def test_the_unifiedfc_config_trains_with_and_without_a_test_split(tmp_path, root, monkeypatch, cli, capsys, splits):
    data = tmp_path / "pairs.jsonl.gz"
    _write_pairs(data, splits)
    monkeypatch.chdir(root)
    assert cli("train", "configs/unifiedfc_stance.yaml", "--set", f"data.path={data}",
               "--set", f"output_dir={tmp_path / 'runs'}") == 0
    captured = capsys.readouterr()
    shown = [line.split()[0] for line in captured.out.splitlines()[1:] if line and not line.startswith("run:")]
    assert ("test" in shown) == ("test" in splits)
    # the config sets data.train_on_dev: the dev pairs join training and are not evaluated
    assert "dev" not in shown and "the dev split's" in captured.err


def test_explanations_name_the_sentence_that_carried_the_decision(tmp_path, root, monkeypatch, cli, capsys):
    data = tmp_path / "pairs.jsonl.gz"
    rows = _write_pairs(data, ("train", "train", "dev"))
    monkeypatch.chdir(root)
    runs = tmp_path / "runs"
    # a weaker penalty than the config's, so that on 36 training pairs the words carry weight
    assert cli("train", "configs/unifiedfc_stance.yaml", "--set", f"data.path={data}", "--set", f"output_dir={runs}",
               "--set", "model.C=10") == 0
    capsys.readouterr()
    run = runs / "unifiedfc_stance" / os.listdir(runs / "unifiedfc_stance")[0]
    model = load_model(str(run / "model") if (run / "model").is_dir() else str(run))
    claim = CLAIMS[0]
    article = f"{FILLER}  {FILLER}\nنفت المصادر الرسمية أن {claim} ووصفت الخبر بأنه شائعات مفبركة."
    found = model.explain([(claim, article)], top=1000, targets=[["disagree"]])[0]
    entry = found["explained"][0]
    picked = entry["sentence"]
    # recomputed from the explanation's own word list: every text word's occurrences, share split evenly
    totals = {span: 0.0 for span in sentence_spans(article)}
    for word in entry["toward"] + entry["against"]:
        if word["part"] == "text":
            for s in word["spans"]:
                home = next(span for span in totals if span[0] <= s["start"] < span[1])
                totals[home] += word["weight"] / len(word["spans"])
    best = max(totals, key=totals.get)
    if totals[best] <= 0:  # no article sentence pushes the label: none is named
        assert picked is None
        return
    assert (picked["start"], picked["end"]) == best
    assert picked["weight"] == pytest.approx(totals[best], abs=1e-9)
    assert len(rows) == 48 and article[picked["start"]:picked["end"]] in sentences(article)


# -- per-label offsets chosen on held-out data ---------------------------------------------------------
@pytest.mark.parametrize("with_dev", [False, True])
def test_label_offsets_are_chosen_saved_and_decide_every_output(tmp_path, with_dev):
    from khabar.models.tfidf.model import TfidfModel
    from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams
    from khabar.normalize import NormalizeConfig
    from tiny_bert import stance_examples

    train = stance_examples(8, seed=3, split="train")
    dev = stance_examples(4, seed=4, split="dev") if with_dev else None
    model = TfidfModel("stance", TfidfParams(min_df=1, word_ngrams=[1, 1], label_offsets=True), SeedOnlyTrain(),
                       NormalizeConfig()).fit(train, dev)
    note = model.manifest().label_offsets
    assert sorted(note["offsets"]) == sorted(model.labels_)
    assert note["chosen_on"] == ("the dev split" if with_dev else "3-fold cross-validation of the training split")
    inputs = [ex.inputs for ex in stance_examples(3, seed=9, split="test")]
    shifted = model.predict_proba(inputs)
    offsets = np.array([note["offsets"][lab] for lab in model.labels_])
    scheme_offsets, model.scheme.offsets = model.scheme.offsets, None
    plain = model.predict_proba(inputs)
    model.scheme.offsets = scheme_offsets
    assert np.allclose(shifted.sum(axis=1), 1.0)
    assert (shifted.argmax(axis=1) == (np.log(plain) + offsets).argmax(axis=1)).all()
    assert model.predict(inputs) == [model.labels_[j] for j in shifted.argmax(axis=1)]
    model.save(str(tmp_path / "m"))
    loaded = load_model(str(tmp_path / "m"))
    assert loaded.manifest().label_offsets == note
    assert np.allclose(loaded.predict_proba(inputs), shifted)


def test_without_label_offsets_the_manifest_has_none():
    from khabar.models.tfidf.model import TfidfModel
    from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams
    from khabar.normalize import NormalizeConfig
    from tiny_bert import stance_examples

    model = TfidfModel("stance", TfidfParams(min_df=1, word_ngrams=[1, 1]), SeedOnlyTrain(),
                       NormalizeConfig()).fit(stance_examples(6, seed=3, split="train"))
    assert model.manifest().label_offsets is None and "label_offsets" not in model.manifest().to_dict()
