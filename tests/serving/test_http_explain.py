"""khabar.serving.http: `"explain": true`, `labels`, `min_confidence`, the model card at /card and
the page's files at /, against real TF-IDF models (topic and stance), a tiny BERT, and the fake
model of conftest.py (a kind that gives no explanations)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'khabar[serve]'")
pytest.importorskip("httpx", reason="TestClient needs httpx: pip install 'khabar[serve]'")

from fastapi.testclient import TestClient  # noqa: E402

from khabar.examples import Example  # noqa: E402
from khabar.models.evidence import WORD  # noqa: E402
from khabar.models.manifest import MANIFEST, record_files  # noqa: E402
from khabar.models.registry import get_kind  # noqa: E402
from khabar.normalize import NormalizeConfig  # noqa: E402
from khabar.serving.http import PAGE_FILES, create_app  # noqa: E402
from small_corpus import SMALL_STANCE_TRAIN as STANCE_TRAIN  # noqa: E402

SPORTS = "سجّل اللاعبُ هدفين في المباراة النهائية للدوري، وفاز الفريق بالكأس"
FINANCE = "ارتفع مؤشر البورصة بعد أن رفع البنك المركزي سعر الفائدة"


@pytest.fixture(scope="module")
def topic_client(small_tfidf_dir):
    with TestClient(create_app(str(small_tfidf_dir))) as client:
        yield client


@pytest.fixture(scope="module")
def stance_dir(tmp_path_factory) -> Path:
    kind = get_kind("tfidf")
    examples = [Example(id=str(i), text=c, text_pair=t, label=lab) for i, (c, t, lab) in enumerate(STANCE_TRAIN)]
    directory = tmp_path_factory.mktemp("stance") / "model"
    kind.model_class()("stance", kind.params(classifier="logreg", word_ngrams=[1, 2]), kind.train(),
                       NormalizeConfig()).fit(examples).save(str(directory))
    return directory


def _check_explanation(prediction: dict, parts: dict, normalize) -> None:
    explanation = prediction["explanation"]
    entry = explanation["explained"][0]
    assert explanation["method"] and len(explanation["explained"]) == 1
    assert entry["label"] == prediction["top_k"][0]["label"]
    words = entry["toward"] + entry["against"]
    assert words and len(entry["toward"]) <= 10 and len(entry["against"]) <= 10
    for word in words:
        for span in word["spans"]:
            written = parts[word["part"]][span["start"]:span["end"]]
            assert word["word"] in [w.lower() for w in WORD.findall(normalize(written))], (word, written)


def test_explain_adds_an_explanation_with_offsets_into_the_text_as_sent(topic_client):
    answer = topic_client.post("/predict", json={"texts": [SPORTS, FINANCE], "explain": True})
    assert answer.status_code == 200, answer.text
    normalize = NormalizeConfig().build()
    for text, prediction in zip([SPORTS, FINANCE], answer.json()["predictions"]):
        assert set(prediction) == {"id", "label", "probability", "abstained", "top_k", "explanation"}
        _check_explanation(prediction, {"text": text}, normalize)
        assert prediction["explanation"]["label"] == prediction["label"]
    sports = answer.json()["predictions"][0]["explanation"]["explained"][0]["toward"]
    assert any(SPORTS[s["start"]:s["end"]] == "اللاعبُ" for w in sports for s in w["spans"])  # as written, diacritics kept


def test_without_explain_the_answer_is_unchanged(topic_client):
    plain = topic_client.post("/predict", json={"text": SPORTS}).json()["predictions"][0]
    explained = topic_client.post("/predict", json={"text": SPORTS, "explain": True}).json()["predictions"][0]
    assert "explanation" not in plain
    explained.pop("explanation")
    assert explained == plain


def test_stance_explanations_name_claim_and_text(stance_dir):
    claim, text = "الحكومة ترفع الضرائب", "نفت الحكومة رفع الضرائب على الوقود"
    with TestClient(create_app(str(stance_dir))) as client:
        answer = client.post("/predict", json={"claim": claim, "text": text, "explain": True})
    assert answer.status_code == 200, answer.text
    prediction = answer.json()["predictions"][0]
    _check_explanation(prediction, {"claim": claim, "text": text}, NormalizeConfig().build())
    entry = prediction["explanation"]["explained"][0]
    assert entry["signals"] and all({"signal", "name", "value", "weight", "spans"} <= set(s) for s in entry["signals"])
    # the sentence that carried the label: offsets into the text as sent, the only sentence here
    sentence = entry["sentence"]
    assert sentence is not None and text[sentence["start"]:sentence["end"]] == text and sentence["weight"] > 0


def test_stance_explanations_point_at_the_sentence_of_the_article(stance_dir):
    claim = "الحكومة ترفع الضرائب"
    text = "طقس مشمس ودرجات حرارة معتدلة. نفت الحكومة رفع الضرائب على الوقود"
    with TestClient(create_app(str(stance_dir))) as client:
        answer = client.post("/predict", json={"claim": claim, "text": text, "explain": True, "top_k": 1})
    entry = answer.json()["predictions"][0]["explanation"]["explained"][0]
    sentence = entry["sentence"]
    assert sentence is None or text[sentence["start"]:sentence["end"]].strip() in (
        "طقس مشمس ودرجات حرارة معتدلة", "نفت الحكومة رفع الضرائب على الوقود")


def test_labels_and_min_confidence_per_request_and_the_explanation_follows_the_shown_label(topic_client):
    answer = topic_client.post("/predict", json={"text": SPORTS, "labels": ["finance", "politics"], "explain": True,
                                                 "top_k": 5})
    prediction = answer.json()["predictions"][0]
    assert [t["label"] for t in prediction["top_k"]] and {t["label"] for t in prediction["top_k"]} == {"finance", "politics"}
    assert sum(t["probability"] for t in prediction["top_k"]) == pytest.approx(1.0)
    assert prediction["explanation"]["explained"][0]["label"] == prediction["top_k"][0]["label"]
    abstained = topic_client.post("/predict", json={"text": SPORTS, "min_confidence": 1.0, "explain": True}).json()
    prediction = abstained["predictions"][0]
    assert prediction["label"] is None and prediction["abstained"] is True
    assert prediction["explanation"]["explained"][0]["label"] == prediction["top_k"][0]["label"]
    never = topic_client.post("/predict", json={"text": SPORTS, "min_confidence": 0}).json()["predictions"][0]
    assert never["abstained"] is False and never["label"] == never["top_k"][0]["label"]


def test_server_defaults_for_labels_and_min_confidence(small_tfidf_dir):
    with TestClient(create_app(str(small_tfidf_dir), labels=["finance", "sports"], min_confidence=1.0)) as client:
        prediction = client.post("/predict", json={"text": SPORTS, "top_k": 9}).json()["predictions"][0]
        assert {t["label"] for t in prediction["top_k"]} == {"finance", "sports"} and prediction["abstained"]
        override = client.post("/predict", json={"text": SPORTS, "min_confidence": 0.0,
                                                 "labels": ["politics", "sports"]}).json()["predictions"][0]
        assert not override["abstained"] and {t["label"] for t in override["top_k"]} == {"politics", "sports"}


@pytest.mark.parametrize("payload, words", [
    ({"text": SPORTS, "explain": 1}, "explain: Input should be a valid boolean"),
    ({"text": SPORTS, "explain": "true"}, "explain: Input should be a valid boolean"),
    ({"text": SPORTS, "explain": None}, "explain: Input should be a valid boolean"),
    ({"text": SPORTS, "labels": ["sports"]}, "labels: name at least two different labels"),
    ({"text": SPORTS, "labels": ["sports", "sports"]}, "name at least two different labels"),
    ({"text": SPORTS, "labels": ["sports", "\ud800" * 3]}, "labels[1]: "),
    ({"text": SPORTS, "labels": ["sports", "x" * 5000]}, "is not a label of this model"),
    ({"text": SPORTS, "labels": "sports,finance"}, "labels: Input should be a valid list"),
    ({"text": SPORTS, "labels": [1, 2]}, "labels[0]: Input should be a valid string"),
    ({"text": SPORTS, "min_confidence": 1.5}, "min_confidence: Input should be less than or equal to 1"),
    ({"text": SPORTS, "min_confidence": -0.1}, "min_confidence: Input should be greater than or equal to 0"),
    ({"text": SPORTS, "min_confidence": True}, "min_confidence: Input should be a valid number"),
    ({"text": SPORTS, "min_confidence": "0.5"}, "min_confidence: Input should be a valid number"),
    ({"texts": [SPORTS] * 17, "explain": True}, "explain: 17 items, over the limit of 16"),
])
def test_bad_new_fields_are_one_line_422(topic_client, payload, words):
    answer = topic_client.post("/predict", content=json.dumps(payload),  # keeps a lone surrogate escaped
                               headers={"content-type": "application/json"})
    assert answer.status_code == 422 and set(answer.json()) == {"error"}, answer.text
    assert words in answer.json()["error"] and "\n" not in answer.json()["error"]
    assert len(answer.json()["error"]) < 400
    assert topic_client.get("/health").status_code == 200


def test_a_kind_without_explanations_is_a_422_before_the_model_runs(topic):
    with TestClient(create_app(topic)) as client:
        answer = client.post("/predict", json={"text": "مباراة", "explain": True})
        assert answer.status_code == 422 and "gives no explanations" in answer.json()["error"]
        assert topic.calls == []  # refused before any model call
        assert client.post("/predict", json={"text": "مباراة"}).status_code == 200
    from khabar.errors import KhabarError

    with pytest.raises(KhabarError, match="cannot explain its predictions"):
        topic.explain(["مباراة"])


def test_max_explain_zero_switches_explanations_off(small_tfidf_dir):
    with TestClient(create_app(str(small_tfidf_dir), max_explain=0)) as client:
        answer = client.post("/predict", json={"text": SPORTS, "explain": True})
        assert answer.status_code == 422 and "switched off" in answer.json()["error"]


def test_tiny_bert_explanations_over_http(tiny_bert_dir, tmp_path):
    pytest.importorskip("captum", reason="transformer explanations need Captum: pip install captum")
    from tiny_bert import make, topic_examples

    train = topic_examples(4, seed=1, split="train")
    make("topic", tiny_bert_dir, train={"epochs": 1}).fit(train).save(str(tmp_path / "bert"))
    text = train[0].text
    with TestClient(create_app(str(tmp_path / "bert"))) as client:
        answer = client.post("/predict", json={"texts": [text, "فاز الفريق، وقال المدرب: الهدف رائع!"], "explain": True})
    assert answer.status_code == 200, answer.text
    prediction = answer.json()["predictions"][0]
    assert prediction["explanation"]["tokens"]["text"]["explained"] > 0
    for word in prediction["explanation"]["explained"][0]["toward"]:
        assert all(text[s["start"]:s["end"]] == word["word"] for s in word["spans"])


# -- the model card -----------------------------------------------------------------------------
def test_card_serves_the_model_directory_readme(small_tfidf_dir, tmp_path):
    import shutil

    directory = tmp_path / "model"
    shutil.copytree(small_tfidf_dir, directory)
    card = "---\nlanguage: ar\nlibrary_name: khabar\n---\n# نموذج تصنيف\n\nTrained on a handful of headlines.\n"
    (directory / "README.md").write_text(card, encoding="utf-8")
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] = record_files(str(directory))  # as a model saved with its card lists it
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with TestClient(create_app(str(directory))) as client:
        answer = client.get("/card")
        assert answer.status_code == 200 and answer.text == card
        assert answer.headers["content-type"] == "text/markdown; charset=utf-8"


def test_card_is_404_json_without_one(topic_client, topic):
    answer = topic_client.get("/card")
    assert answer.status_code == 404 and "has no card" in answer.json()["error"]
    with TestClient(create_app(topic)) as client:  # a model object, no directory
        assert client.get("/card").status_code == 404


# -- the page's files -----------------------------------------------------------------------------
def test_page_files_are_served_with_a_strict_content_security_policy(topic_client):
    for path, name in (("/", "index.html"), ("/page.js", "page.js"), ("/page.css", "page.css")):
        answer = topic_client.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"] == PAGE_FILES[name]
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert topic_client.get("/page.html").status_code == 404
    assert topic_client.get("/openapi.json").json()["paths"].keys() >= {"/predict", "/card", "/health", "/model"}


def test_the_page_never_builds_html_from_strings(topic_client):
    """All text goes in as text nodes: no innerHTML, outerHTML, insertAdjacentHTML, document.write,
    eval or string timers in the script, no inline script or handler in the HTML."""
    script = topic_client.get("/page.js").text
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                   "setTimeout(\"", "setInterval(\""):
        assert unsafe not in script, unsafe
    html = topic_client.get("/").text
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="page.js" defer>']
    assert not re.search(r"\son[a-z]+\s*=", html) and "style=" not in html
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    for route in ('"predict"', '"health"', '"model"', '"card"'):
        assert route in script


def test_explanations_survive_a_restart_of_the_app(small_tfidf_dir):
    app = create_app(str(small_tfidf_dir))
    for _ in range(2):  # the lifespan's end stops the explanation thread; the next start makes another
        with TestClient(app) as client:
            assert client.post("/predict", json={"text": SPORTS, "explain": True}).status_code == 200


# -- any text: never a 5xx, every span inside the text it points into -----------------------------
hypothesis = pytest.importorskip("hypothesis", reason="the fuzz needs hypothesis: pip install 'khabar[dev]'")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from property_counts import examples  # noqa: E402

# Arabic letters and marks, tatweel, digits of three scripts, joiners and bidi marks, punctuation,
# spaces and newlines, a ligature, Latin letters, an emoji: what pasted news text holds
PIECES = st.sampled_from(list("ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإؤئىة") + ["\u064e", "\u0651", "\u0640", "\u200c",
                         "\u200f", "\u200b", "\ufefb", "٣", "۴", "7", " ", "\n", "،", ".", "(", ")", "a", "Z", "\U0001f600",
                         "المباراة", "البورصة", "الحكومة", "https://x.org/a?b=1", "<b>", "&amp;"])
TEXTS = st.lists(PIECES, min_size=1, max_size=40).map("".join)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(text=TEXTS, claim=TEXTS)
def test_any_text_gets_200_or_422_and_spans_inside_it(topic_client, stance_dir, text, claim):
    answer = topic_client.post("/predict", json={"text": text, "explain": True})
    assert answer.status_code in (200, 422), answer.text
    if answer.status_code == 200:
        _check_inside(answer.json()["predictions"][0], {"text": text})
    stance = _stance_client(stance_dir)
    answer = stance.post("/predict", json={"claim": claim, "text": text, "explain": True})
    assert answer.status_code in (200, 422), answer.text
    if answer.status_code == 200:
        _check_inside(answer.json()["predictions"][0], {"claim": claim, "text": text})


_STANCE: dict = {}


def _stance_client(directory):
    if directory not in _STANCE:
        _STANCE[directory] = TestClient(create_app(str(directory)))
    return _STANCE[directory]


def _check_inside(prediction: dict, parts: dict) -> None:
    entry = prediction["explanation"]["explained"][0]
    for word in entry["toward"] + entry["against"]:
        for span in word["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(parts[word["part"]]), (word, parts)
    for signal in entry["signals"]:
        for span in signal["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(parts[span["part"]])
