"""Hostile clients against the HTTP server: nothing a client sends gets a 5xx.

1. A table of hostile requests (`TABLE`), each with the 4xx it must get and words its one-line
   `{"error": ...}` must contain, against a TF-IDF topic model, a TF-IDF stance model and a tiny
   BERT topic model (the BERT tokenizer is where a lone surrogate used to raise a TypeError), all
   in-process; `/health` answers 200 after every row.
2. A hypothesis fuzz: random JSON values and shapes, deep nesting and random bytes, with and
   without a JSON content type, against a topic and a stance model: never a 5xx, `/health` after.
3. A real server (`serve` in a thread, on a free port): a client that leaves mid-body is one log
   line and no traceback; a body that stalls gets 408, and so do headers that stall; a silent
   connection is closed; too many header bytes get 431; the whole log has no traceback.

Self-contained: the models are trained here on a handful of texts (no conftest fixture).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import threading
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'khabar[serve]'")
pytest.importorskip("httpx", reason="TestClient needs httpx: pip install 'khabar[serve]'")
hypothesis = pytest.importorskip("hypothesis", reason="the fuzz needs hypothesis: pip install 'khabar[dev]'")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from khabar.examples import Example  # noqa: E402
from khabar.models.registry import get_kind  # noqa: E402
from khabar.normalize import NormalizeConfig  # noqa: E402
from khabar.serving.http import create_app  # noqa: E402
from property_counts import examples  # noqa: E402
from small_corpus import SMALL_STANCE_TRAIN as STANCE_TRAIN  # noqa: E402
from small_corpus import SMALL_TOPIC_TRAIN as TOPIC_TRAIN  # noqa: E402

# -- tiny models ------------------------------------------------------------------------------

ARTICLE = "سجل اللاعب هدف الفوز في المباراة"
CLAIM = "فاز الفريق بالكأس"
LIMITS = dict(max_batch=8, max_text_chars=500, max_body_bytes=300_000)


def _topic_examples() -> list[Example]:
    return [Example(id=f"{label}-{i}", text=text, label=label)
            for label, texts in TOPIC_TRAIN.items() for i, text in enumerate(texts)]


def _build(kind_name: str, task: str, examples: list[Example], directory: Path, params: dict, train: dict) -> Path:
    kind = get_kind(kind_name)
    model = kind.model_class()(task, kind.params(**params), kind.train(**train), NormalizeConfig())
    model.fit(examples).save(str(directory))
    return directory


@pytest.fixture(scope="module")
def tfidf_topic_dir(tmp_path_factory) -> Path:
    return _build("tfidf", "topic", _topic_examples(), tmp_path_factory.mktemp("hostile") / "tfidf_topic",
                  dict(classifier="logreg", min_df=1), {})


@pytest.fixture(scope="module")
def tfidf_stance_dir(tmp_path_factory) -> Path:
    examples = [Example(id=f"s{i}", text=claim, text_pair=text, label=label)
                for i, (claim, text, label) in enumerate(STANCE_TRAIN)]
    return _build("tfidf", "stance", examples, tmp_path_factory.mktemp("hostile") / "tfidf_stance",
                  dict(classifier="logreg", min_df=1), {})


@pytest.fixture(scope="module")
def bert_topic_dir(tmp_path_factory) -> Path:
    """A one-layer scratch BERT after one optimisation step: random, but a real tokenizer and network."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from khabar.models.transformer.params import ScratchParams

    scratch = ScratchParams(layers=1, hidden=16, heads=1, intermediate=16, vocab_size=120, max_position_embeddings=32,
                            min_frequency=1)
    return _build("transformer", "topic", _topic_examples(), tmp_path_factory.mktemp("hostile") / "bert_topic",
                  dict(name_or_path="scratch", max_length=32, scratch=scratch),
                  dict(epochs=1, max_steps=1, batch_size=4, early_stopping_patience=None, logging_steps=1))


MODEL_DIRS = {"tfidf-topic": "tfidf_topic_dir", "tfidf-stance": "tfidf_stance_dir", "bert-topic": "bert_topic_dir"}


@pytest.fixture(scope="module")
def clients():
    """One TestClient per model directory, made on first use and closed with the module."""
    made: dict[Path, TestClient] = {}

    def get(directory: Path) -> TestClient:
        if directory not in made:
            client = TestClient(create_app(directory, **LIMITS), raise_server_exceptions=False)
            made[directory] = client.__enter__()
        return made[directory]

    yield get
    for client in made.values():
        client.__exit__(None, None, None)


# -- 1. the table -----------------------------------------------------------------------------

JSON = "application/json"


def j(value, ascii_only: bool = True) -> bytes:
    """`value` as JSON bytes; lone surrogates escaped (ascii_only) or as their raw bytes."""
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


def nested(depth: int, open_: str = "[", close: str = "]") -> bytes:
    return (open_ * depth + close * depth).encode()


DEEP_OBJECT = ('{"text": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}").encode()
INVISIBLE = "\u200b\u200c\u200d\ufeff\u200e\u200f\u00ad\u2060\u00a0\u202a\u202c"
DIACRITICS = "\u064e\u064f\u0650\u0651\u0652\u064b\u0670"

# (id, body, content type, models it applies to, status, words the error must contain)
# models: "topic" (TF-IDF and BERT topic), "stance" (TF-IDF stance), "all" (the three)
TABLE = [
    # unparsable bodies: 400
    ("nested-1000-arrays", b'{"text": ' + nested(1000) + b"}", JSON, "all", 400, "nested too deeply"),
    ("nested-100000-arrays", nested(100_000), JSON, "all", 400, "nested too deeply"),
    ("nested-1000-objects", DEEP_OBJECT, JSON, "all", 400, "nested too deeply"),
    ("nested-100000-unclosed", b"[" * 100_000, JSON, "all", 400, "nested too deeply"),
    ("invalid-utf8-byte", b'{"text": "\xff\xfe"}', JSON, "all", 400, "not UTF-8"),
    ("truncated-utf8-sequence", b'{"text": "\xd8"}', JSON, "all", 400, "not UTF-8"),
    ("raw-surrogate-bytes", j({"text": "نص \ud800"}, ascii_only=False), JSON, "all", 400, "not UTF-8"),
    ("overlong-utf8", b'{"text": "\xc0\xaf"}', JSON, "all", 400, "not UTF-8"),
    ("utf16-body", json.dumps({"text": ARTICLE}).encode("utf-16"), JSON, "all", 400, "UTF-8"),
    ("empty-body", b"", JSON, "all", 400, "body is empty"),
    ("whitespace-body", b" \r\n\t ", JSON, "all", 400, "body is empty"),
    ("bare-word", b"text", JSON, "all", 400, "not valid UTF-8 JSON"),
    ("truncated-json", b'{"text": "abc', JSON, "all", 400, "not valid UTF-8 JSON"),
    ("trailing-garbage", b'{"text": "abc"} x', JSON, "all", 400, "not valid UTF-8 JSON"),
    ("single-quotes", b"{'text': 'abc'}", JSON, "all", 400, "not valid UTF-8 JSON"),
    ("nan", b'{"text": "abc", "top_k": NaN}', JSON, "all", 400, "NaN"),
    ("infinity", b'{"text": "abc", "top_k": Infinity}', JSON, "all", 400, "Infinity"),
    ("minus-infinity", b'{"top_k": -Infinity}', JSON, "all", 400, "Infinity"),
    ("top_k-1e400", b'{"text": "abc", "top_k": 1e400}', JSON, "all", 400, "out of range"),
    ("huge-float-in-list", b'{"texts": [1e999]}', JSON, "all", 400, "out of range"),
    ("int-25-digits", b'{"text": "abc", "top_k": ' + b"9" * 25 + b"}", JSON, "all", 400, "too large"),
    ("int-5000-digits", b'{"top_k": ' + b"7" * 5000 + b"}", JSON, "all", 400, "too large"),
    ("negative-huge-int", b'{"top_k": -' + b"1" * 40 + b"}", JSON, "all", 400, "too large"),
    # wrong content type: 415
    ("no-content-type", j({"text": ARTICLE}), None, "all", 415, "application/json"),
    ("text-plain", j({"text": ARTICLE}), "text/plain", "all", 415, "application/json"),
    ("form", b"text=abc", "application/x-www-form-urlencoded", "all", 415, "application/json"),
    ("multipart", b"--x\r\n\r\nabc\r\n--x--", "multipart/form-data; boundary=x", "all", 415, "application/json"),
    ("json-latin1", j({"text": ARTICLE}), "application/json; charset=latin-1", "all", 415, "UTF-8"),
    ("json-utf16", json.dumps({"text": ARTICLE}).encode("utf-16"), "application/json; charset=utf-16", "all", 415, "UTF-8"),
    ("garbage-content-type", j({"text": ARTICLE}), ";;;=", "all", 415, "application/json"),
    # too large: 413
    ("body-over-limit", j({"text": "ب" * 200_000}), JSON, "all", 413, "over the limit"),
    # valid JSON, not a request: 422
    ("body-is-string", b'"text"', JSON, "all", 422, "expected a JSON object"),
    ("body-is-null", b"null", JSON, "all", 422, "expected a JSON object"),
    ("body-is-array", j([ARTICLE]), JSON, "all", 422, "expected a JSON object"),
    ("body-is-number", b"42", JSON, "all", 422, "expected a JSON object"),
    ("body-is-true", b"true", JSON, "all", 422, "expected a JSON object"),
    ("extra-field", j({"text": ARTICLE, "junk": 1}), JSON, "topic", 422, "junk: Extra inputs are not permitted"),
    ("extra-field-surrogate-key", j({"\ud800": 1}), JSON, "all", 422, "Extra inputs are not permitted"),
    ("extra-field-10k-key", j({"k" * 10_000: 1}), JSON, "all", 422, "Extra inputs are not permitted"),
    ("extra-field-newline-key", j({"a\nb": 1}), JSON, "all", 422, "Extra inputs are not permitted"),
    ("no-field", b"{}", JSON, "all", 422, "no input field"),
    ("top_k-true", j({"text": ARTICLE, "top_k": True}), JSON, "topic", 422, "top_k"),
    ("top_k-false", j({"text": ARTICLE, "top_k": False}), JSON, "topic", 422, "top_k"),
    ("top_k-string", j({"text": ARTICLE, "top_k": "3"}), JSON, "topic", 422, "top_k"),
    ("top_k-zero", j({"text": ARTICLE, "top_k": 0}), JSON, "topic", 422, "top_k"),
    ("top_k-minus-one", j({"text": ARTICLE, "top_k": -1}), JSON, "topic", 422, "top_k"),
    ("top_k-1e30", b'{"text": "abc", "top_k": 1e30}', JSON, "topic", 422, "top_k"),
    ("top_k-1e9", b'{"text": "abc", "top_k": 1e9}', JSON, "topic", 422, "top_k"),
    ("top_k-float", j({"text": ARTICLE, "top_k": 3.0}), JSON, "topic", 422, "top_k"),
    ("top_k-null", j({"text": ARTICLE, "top_k": None}), JSON, "topic", 422, "top_k"),
    ("top_k-list", j({"text": ARTICLE, "top_k": [3]}), JSON, "topic", 422, "top_k"),
    ("text-null", j({"text": None}), JSON, "topic", 422, "text: null"),
    ("text-number", j({"text": 5}), JSON, "topic", 422, "text:"),
    ("text-float", j({"text": 5.5}), JSON, "topic", 422, "text:"),
    ("text-bool", j({"text": True}), JSON, "topic", 422, "text:"),
    ("text-list", j({"text": [ARTICLE]}), JSON, "topic", 422, "text:"),
    ("text-object", j({"text": {"text": ARTICLE}}), JSON, "topic", 422, "text:"),
    ("texts-null", j({"texts": None}), JSON, "topic", 422, "texts: null"),
    ("texts-string", j({"texts": ARTICLE}), JSON, "topic", 422, "texts:"),
    ("texts-object", j({"texts": {"a": ARTICLE}}), JSON, "topic", 422, "texts:"),
    ("texts-null-item", j({"texts": [ARTICLE, None]}), JSON, "topic", 422, "texts[1]"),
    ("texts-number-items", j({"texts": [1, 2]}), JSON, "topic", 422, "texts[0]"),
    ("texts-nested-list", j({"texts": [[ARTICLE]]}), JSON, "topic", 422, "texts[0]"),
    ("texts-empty", j({"texts": []}), JSON, "topic", 422, "empty list"),
    ("texts-over-max-batch", j({"texts": [ARTICLE] * 9}), JSON, "topic", 422, "over the limit of 8"),
    ("text-and-texts", j({"text": ARTICLE, "texts": [ARTICLE]}), JSON, "topic", 422, "got text, texts"),
    ("text-too-long", j({"text": "ب" * 501}), JSON, "topic", 422, "longer than 500"),
    # texts nothing can read: 422
    ("surrogate-escaped", j({"text": "\ud800"}), JSON, "topic", 422, "lone surrogate"),
    ("surrogate-in-article", j({"text": ARTICLE + " \udfff"}), JSON, "topic", 422, "lone surrogate"),
    ("surrogate-in-batch", j({"texts": [ARTICLE, "ا\udc80ب"]}), JSON, "topic", 422, "texts[1]: character 2"),
    ("surrogate-pair-halves", b'{"text": "\\udc00\\ud800"}', JSON, "topic", 422, "lone surrogate"),
    ("zero-width-only", j({"text": "\u200b\u200b\u200b"}), JSON, "topic", 422, "nothing to read"),
    ("invisible-mix", j({"text": INVISIBLE}), JSON, "topic", 422, "nothing to read"),
    ("diacritics-only", j({"text": DIACRITICS}), JSON, "topic", 422, "nothing to read"),
    ("diacritics-and-tatweel", j({"text": "\u0640\u064e\u0640\u0651"}), JSON, "topic", 422, "nothing to read"),
    ("controls-only", j({"text": "\x00\x01\x7f"}), JSON, "topic", 422, "nothing to read"),
    ("whitespace-only", j({"text": " \n\t\u3000"}), JSON, "topic", 422, "empty text"),
    ("empty-string", j({"text": ""}), JSON, "topic", 422, "empty text"),
    ("zero-width-in-batch", j({"texts": [ARTICLE, "\u200b"]}), JSON, "topic", 422, "texts[1]: nothing to read"),
    # a topic model given stance fields, and the reverse: 422
    ("topic-given-claim-text", j({"claim": CLAIM, "text": ARTICLE}), JSON, "topic", 422, "claim: this is a topic model"),
    ("topic-given-pairs", j({"pairs": [[CLAIM, ARTICLE]]}), JSON, "topic", 422, "pairs: this is a topic model"),
    ("stance-given-text", j({"text": ARTICLE}), JSON, "stance", 422, "text: this is a stance model"),
    ("stance-given-texts", j({"texts": [ARTICLE]}), JSON, "stance", 422, "texts: this is a stance model"),
    ("stance-claim-only", j({"claim": CLAIM}), JSON, "stance", 422, "got claim"),
    ("stance-claim-null", j({"claim": None, "text": ARTICLE}), JSON, "stance", 422, "claim: null"),
    ("stance-claim-and-pairs", j({"claim": CLAIM, "text": ARTICLE, "pairs": [[CLAIM, ARTICLE]]}), JSON, "stance",
     422, "either claim and text, or pairs"),
    ("stance-pair-of-one", j({"pairs": [[CLAIM]]}), JSON, "stance", 422, "pairs[0]"),
    ("stance-pair-of-three", j({"pairs": [[CLAIM, ARTICLE, ARTICLE]]}), JSON, "stance", 422, "pairs[0]"),
    ("stance-pair-object", j({"pairs": [{"claim": CLAIM, "text": ARTICLE}]}), JSON, "stance", 422, "pairs[0]"),
    ("stance-pair-numbers", j({"pairs": [[1, 2]]}), JSON, "stance", 422, "pairs[0]"),
    ("stance-pairs-string", j({"pairs": CLAIM}), JSON, "stance", 422, "pairs:"),
    ("stance-pairs-empty", j({"pairs": []}), JSON, "stance", 422, "empty list"),
    ("stance-claim-surrogate", j({"claim": "\ud83d", "text": ARTICLE}), JSON, "stance", 422, "claim: character 1"),
    ("stance-pair-surrogate", j({"pairs": [[CLAIM, "\udead"]]}), JSON, "stance", 422, "pairs[0].text: character 1"),
    ("stance-claim-zero-width", j({"claim": "\u200b", "text": ARTICLE}), JSON, "stance", 422, "claim: nothing to read"),
    ("stance-text-diacritics", j({"pairs": [[CLAIM, DIACRITICS]]}), JSON, "stance", 422, "pairs[0].text: nothing to read"),
    ("stance-top_k-bool", j({"claim": CLAIM, "text": ARTICLE, "top_k": True}), JSON, "stance", 422, "top_k"),
    # what must still work: 200
    ("ok-article", j({"text": ARTICLE}), JSON, "topic", 200, ""),
    ("ok-raw-utf8-and-charset", j({"text": ARTICLE}, ascii_only=False), "application/json; charset=UTF-8", "topic", 200, ""),
    ("ok-byte-order-mark", b"\xef\xbb\xbf" + j({"text": ARTICLE}), JSON, "topic", 200, ""),
    ("ok-vendor-json-type", j({"text": ARTICLE}), "application/vnd.khabar+json", "topic", 200, ""),
    ("ok-diacritics-on-letters", j({"text": "فَازَ الْفَرِيقُ"}), JSON, "topic", 200, ""),
    ("ok-zero-width-inside-words", j({"texts": ["كل\u200dمة", "\u200b" + ARTICLE]}), JSON, "topic", 200, ""),
    ("emoji-only", j({"texts": [ARTICLE, "😀"]}), JSON, "topic", 422, "texts[1]: nothing to read"),
    ("punctuation-only", j({"text": "!!!"}), JSON, "topic", 422, "text: nothing to read"),
    ("digits-only", j({"text": "٢٠٢٤ 123"}), JSON, "topic", 422, "text: nothing to read"),
    ("stance-claim-emoji", j({"claim": "😀", "text": "!!!"}), JSON, "stance", 422, "claim: nothing to read"),
    ("ok-emoji-punctuation-and-controls-around-words", j({"texts": ["😀 " + ARTICLE, "!!! " + ARTICLE,
                                                                   "\x00" + ARTICLE]}), JSON, "topic", 200, ""),
    ("ok-huge-top_k", j({"text": ARTICLE, "top_k": 10**18}), JSON, "topic", 200, ""),
    ("ok-duplicate-key-last-wins", b'{"text": 5, "text": "abc"}', JSON, "topic", 200, ""),
    ("ok-pairs", j({"pairs": [[CLAIM, ARTICLE], [CLAIM, "نفى المصدر الخبر"]], "top_k": 99}), JSON, "stance", 200, ""),
]
MODELS = {"topic": ("tfidf-topic", "bert-topic"), "stance": ("tfidf-stance",), "all": ("tfidf-topic", "tfidf-stance", "bert-topic")}
CASES = [pytest.param(model, body, ctype, status, words, id=f"{model}:{name}")
         for name, body, ctype, models, status, words in TABLE for model in MODELS[models]]


def check_answer(response, status: int, words: str = "") -> None:
    """The status, and for an error exactly `{"error": one line}` containing `words`."""
    assert response.status_code == status, response.text[:300]
    body = response.json()
    if status == 200:
        assert body["predictions"] and all(p["top_k"] for p in body["predictions"])
        return
    assert set(body) == {"error"} and isinstance(body["error"], str)
    error = body["error"]
    assert "\n" not in error and "Traceback" not in error and len(error) < 400, error
    assert words in error, error


def post(client: TestClient, body: bytes, content_type: str | None):
    headers = {"content-type": content_type} if content_type is not None else {}
    return client.post("/predict", content=body, headers=headers)


@pytest.mark.parametrize("model, body, content_type, status, words", CASES)
def test_hostile_request_gets_its_4xx_and_the_server_stays_up(clients, request, model, body, content_type, status, words):
    client = clients(request.getfixturevalue(MODEL_DIRS[model]))
    check_answer(post(client, body, content_type), status, words)
    assert client.get("/health").status_code == 200


def test_the_table_covers_every_kind_of_hostile_input():
    ids = [row[0] for row in TABLE]
    assert len(ids) == len(set(ids))
    assert {row[4] for row in TABLE} == {200, 400, 413, 415, 422}
    assert len(CASES) >= 150


def test_top_k_above_the_number_of_labels_lists_them_all(clients, tfidf_topic_dir):
    response = clients(tfidf_topic_dir).post("/predict", json={"text": ARTICLE, "top_k": 1000})
    assert [len(p["top_k"]) for p in response.json()["predictions"]] == [len(TOPIC_TRAIN)]


def test_a_model_error_is_still_a_json_500_and_a_refused_input_never_reaches_the_model(tfidf_topic_dir):
    """Validation happens before the model: a hostile text never reaches predict_proba, and what
    does go wrong inside the model (a bug) is the generic JSON 500."""
    from khabar.models.base import load_model

    model, seen = load_model(str(tfidf_topic_dir)), []
    model.predict_proba = lambda inputs: seen.append(list(inputs)) or 1 / 0
    with TestClient(create_app(model), raise_server_exceptions=False) as client:
        for text in ("\ud800", "\u200b", DIACRITICS, " "):
            assert post(client, j({"text": text}), JSON).status_code == 422
        assert seen == []
        response = client.post("/predict", json={"text": ARTICLE})
    assert response.status_code == 500 and response.json()["error"].startswith("internal error (ZeroDivisionError)")


def test_a_client_that_leaves_mid_body_is_one_log_line_in_process(tfidf_topic_dir, caplog):
    """The ASGI app alone: part of a body, then the disconnect starlette turns into ClientDisconnect."""
    app = create_app(tfidf_topic_dir)
    messages = [{"type": "http.request", "body": b'{"text": "abc', "more_body": True}, {"type": "http.disconnect"}]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/predict", "raw_path": b"/predict", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
             "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000)}

    async def receive():
        return messages.pop(0)

    async def send(message):
        pass

    with caplog.at_level(logging.INFO):
        asyncio.run(app(scope, receive, send))
    lines = [r for r in caplog.records if r.name.startswith(("uvicorn", "khabar", "fastapi", "starlette"))]
    assert [r.getMessage() for r in lines] == [
        "client 127.0.0.1:5555 went away before sending the whole request body; nothing answered"]
    assert all(r.exc_info is None for r in caplog.records)


# -- 2. the fuzz ------------------------------------------------------------------------------

FUZZ_COUNTS: dict[str, Counter] = {}  # fuzz run -> how many examples got each status
KEYS = ["text", "texts", "claim", "pairs", "top_k", "junk"]
# strings that stress the checks: Arabic, invisible characters, diacritics, lone surrogates
TRICKY = st.sampled_from(list("فازالفريقبالمباراة") + ["\u200b", "\u200d", "\ufeff", "\u064e", "\u0651", "\u0640",
                                                      "\ud800", "\udfff", "\x00", " ", "\n", "😀", "é", '"', "\\"])
STRINGS = st.one_of(st.text(TRICKY, max_size=20), st.text(max_size=20), st.sampled_from([ARTICLE, CLAIM, ""]))
SCALARS = st.one_of(st.none(), st.booleans(), STRINGS,
                    st.integers(min_value=-10**30, max_value=10**30), st.integers(min_value=-3, max_value=12),
                    st.floats(allow_nan=True, allow_infinity=True))
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(KEYS), children, max_size=4)),
    max_leaves=12,
)
# texts a model may well be given: Arabic with invisible characters, diacritics, controls, emoji
READABLE = st.text(st.sampled_from(list("فازالفريقبالمباراة ٠١٢") + ["\u200b", "\u200d", "\u064e", "\u0640", "\x00",
                                                                   "\t", "😀", "!", "a", "\u202e"]), min_size=1, max_size=40)
TOP_K = st.one_of(st.integers(min_value=1, max_value=5), SCALARS)
REQUESTS = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=4),  # request-shaped, any values
    st.fixed_dictionaries({"texts": st.lists(STRINGS, max_size=4)}, optional={"top_k": SCALARS}),
    st.fixed_dictionaries({"pairs": st.lists(st.lists(STRINGS, max_size=3), max_size=3)}, optional={"top_k": SCALARS}),
    st.fixed_dictionaries({"claim": STRINGS, "text": STRINGS}),
    # requests that may well be valid, so the model itself gets odd texts too
    st.fixed_dictionaries({"text": READABLE}, optional={"top_k": TOP_K}),
    st.fixed_dictionaries({"texts": st.lists(READABLE, min_size=1, max_size=4)}, optional={"top_k": TOP_K}),
    st.fixed_dictionaries({"claim": READABLE, "text": READABLE}, optional={"top_k": TOP_K}),
    st.fixed_dictionaries({"pairs": st.lists(st.tuples(READABLE, READABLE), min_size=1, max_size=3)},
                          optional={"top_k": TOP_K}),
    JSON_VALUES,
)
CONTENT_TYPES = st.sampled_from([JSON, "application/json; charset=utf-8", "application/x+json", "text/plain",
                                 "application/octet-stream", None])


@pytest.fixture(scope="module")
def fuzz_clients(tfidf_topic_dir, tfidf_stance_dir):
    with TestClient(create_app(tfidf_topic_dir, **LIMITS), raise_server_exceptions=False) as topic, \
            TestClient(create_app(tfidf_stance_dir, **LIMITS), raise_server_exceptions=False) as stance:
        yield {"topic": topic, "stance": stance}


def fuzz_once(client: TestClient, name: str, body: bytes, content_type: str | None) -> None:
    response = post(client, body, content_type)
    FUZZ_COUNTS.setdefault(name, Counter())[response.status_code] += 1
    assert response.status_code in (200, 400, 413, 415, 422), (response.status_code, response.text[:300], body[:200])
    if response.status_code != 200:
        assert set(response.json()) == {"error"} and "\n" not in response.json()["error"]
    assert client.get("/health").status_code == 200


@pytest.mark.hypothesis
@pytest.mark.parametrize("task", ["topic", "stance"])
def test_fuzz_json_values_never_get_a_5xx(fuzz_clients, task):
    client = fuzz_clients[task]

    @settings(max_examples=examples(300), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(value=REQUESTS, ascii_only=st.booleans(), depth=st.one_of(st.just(0), st.just(0), st.integers(1, 3000)))
    def run(value, ascii_only, depth):
        body = j(value, ascii_only)
        if depth:  # bury it: [[[ ... value ... ]]] or {"text": {"text": ...}}
            body = b"[" * depth + body + b"]" * depth if depth % 2 else b'{"text": ' * depth + body + b"}" * depth
        fuzz_once(client, f"json-{task}", body, JSON)

    run()
    assert client.get("/health").json()["status"] == "ok"


@pytest.mark.hypothesis
@pytest.mark.parametrize("task", ["topic", "stance"])
def test_fuzz_random_bytes_never_get_a_5xx(fuzz_clients, task):
    client = fuzz_clients[task]

    @settings(max_examples=examples(200), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=st.one_of(st.binary(max_size=200), st.builds(lambda v, tail: j(v)[: len(j(v)) // 2] + tail,
                                                             REQUESTS, st.binary(max_size=8))),
           content_type=CONTENT_TYPES)
    def run(body, content_type):
        fuzz_once(client, f"bytes-{task}", body, content_type)

    run()
    assert client.get("/health").json()["status"] == "ok"


@pytest.mark.hypothesis  # with the fuzz tests, in make test-slow too
def test_fuzz_counts():
    """How many examples the fuzz ran, by status (printed, see -rA): each got a 4xx or a 200, never
    a 5xx; the JSON fuzz also reached the model (some 200s), not only the parser."""
    if not FUZZ_COUNTS:
        pytest.skip("run with the fuzz tests")
    totals = {name: sum(counts.values()) for name, counts in FUZZ_COUNTS.items()}
    print("fuzz examples:", {name: dict(counts) for name, counts in FUZZ_COUNTS.items()}, "total", sum(totals.values()))
    assert all(total >= examples(100) for total in totals.values()), totals
    assert all(counts[200] for name, counts in FUZZ_COUNTS.items() if name.startswith("json-")), FUZZ_COUNTS


# -- serve's settings -------------------------------------------------------------------------

def test_serve_passes_the_connection_limits_to_uvicorn(tfidf_topic_dir, monkeypatch):
    import uvicorn
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    from khabar.serving import settings
    from khabar.serving.http import serve

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    serve(str(tfidf_topic_dir))
    assert seen["timeout_keep_alive"] == settings.DEFAULT_TIMEOUT_KEEP_ALIVE
    assert seen["limit_concurrency"] == settings.DEFAULT_LIMIT_CONCURRENCY
    assert seen["h11_max_incomplete_event_size"] >= settings.DEFAULT_MAX_HEADER_BYTES
    assert issubclass(seen["http"], AutoHTTPProtocol)
    serve(str(tfidf_topic_dir), timeout_keep_alive=2.5, limit_concurrency=7, max_header_bytes=1000)
    assert (seen["timeout_keep_alive"], seen["limit_concurrency"]) == (2.5, 7)
    assert seen["h11_max_incomplete_event_size"] >= 1000


@pytest.mark.parametrize("option, value, words", [
    ("timeout_body", 0, "--timeout-body 0: must be more than 0 seconds"),
    ("timeout_headers", -1, "--timeout-headers -1"),
    ("timeout_keep_alive", float("nan"), "--timeout-keep-alive nan: must be a finite number"),
    ("limit_concurrency", 0, "--limit-concurrency 0: must be at least 1"),
    ("max_header_bytes", 0, "--max-header-bytes 0"),
])
def test_serve_refuses_a_bad_limit_before_binding(tfidf_topic_dir, monkeypatch, option, value, words):
    import uvicorn

    from khabar.errors import KhabarError
    from khabar.serving.http import serve

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server started with a bad limit"))
    with pytest.raises(KhabarError, match=re.escape(words)):
        serve(str(tfidf_topic_dir), **{option: value})


# -- 3. a real server -------------------------------------------------------------------------

class _Lines(logging.Handler):
    """Every log record, formatted with its traceback if any, as lines the tests can wait for."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        text = logging.Formatter("%(levelname)s %(name)s: %(message)s").format(record)
        with self.changed:
            self.lines.extend(text.splitlines())
            self.changed.notify_all()


class Server:
    """`serve(model_dir, port=0, **options)` in a thread on 127.0.0.1, the OS picking a free port.

    Everything is `serve`'s own (the app, the protocol class with the headers deadline, the
    timeouts and limits it hands to uvicorn) except the last call: `uvicorn.run(app, **kwargs)` is
    replaced by what it does, `uvicorn.Server(uvicorn.Config(app, **kwargs)).run()`, keeping the
    server object so the test can stop it. The log goes to a handler on the root logger; tests wait
    for its lines on a condition, never for a fixed time.
    """

    def __init__(self, model_dir: Path, **options):
        import uvicorn

        from khabar.serving.http import serve

        self.log = _Lines()
        logging.getLogger().addHandler(self.log)
        self.uvicorn: uvicorn.Server | None = None
        original = uvicorn.run

        def run(app, **kwargs):
            uvicorn.run = original
            self.uvicorn = uvicorn.Server(uvicorn.Config(app, log_config=None, **kwargs))
            self.uvicorn.run()

        def main():
            try:
                serve(str(model_dir), port=0, **options)
            except BaseException as exc:  # noqa: BLE001 - shown by wait_for's message
                self.log.emit(logging.makeLogRecord({"msg": f"serve failed: {exc!r}", "levelname": "ERROR"}))
            finally:
                uvicorn.run = original
                with self.log.changed:
                    self.log.lines.append("<exit>")
                    self.log.changed.notify_all()

        uvicorn.run = run
        self.thread = threading.Thread(target=main, name="khabar-test-server", daemon=True)
        self.thread.start()
        line = self.wait_for(lambda ln: "Uvicorn running on" in ln)
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        assert match, self.text()
        self.port = int(match.group(1))
        for _ in range(50):  # bounded attempts, each driven by a connection result
            try:
                if self.request(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")[0] == 200:
                    break
            except ConnectionError:
                self.wait_for(lambda ln: True, len(self.lines), timeout=1)  # the next log line, if any
        else:
            raise AssertionError("the server never answered /health:\n" + self.text())

    @property
    def lines(self) -> list[str]:
        return self.log.lines

    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, predicate, start: int = 0, timeout: float = 60) -> str:
        """The first log line from index `start` on that satisfies `predicate`; `timeout` is only a
        safety bound for a server that never logs it."""
        found: list[str] = []

        def seen() -> bool:
            found[:] = [ln for ln in self.lines[start:] if predicate(ln) or ln == "<exit>"]
            return bool(found)

        with self.log.changed:
            if not self.log.changed.wait_for(seen, timeout):
                return ""
        assert found[0] != "<exit>" or predicate(found[0]), "the server stopped:\n" + self.text()
        return found[0]

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=60)

    def request(self, raw: bytes) -> tuple[int, bytes]:
        with self.connect() as sock:
            sock.sendall(raw)
            return read_response(sock)

    def stop(self) -> str:
        if self.uvicorn is not None:
            self.uvicorn.should_exit = True
        self.thread.join(60)
        logging.getLogger().removeHandler(self.log)
        return self.text()


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """Status and body of the one response on `sock`, read until the declared length has arrived or
    the server closes the connection; (0, b"") if it closes without answering."""
    data = b""
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if length and len(body) >= int(length.group(1)):
                break
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    if not data:
        return 0, b""
    return int(data.split(b" ", 2)[1]), data.partition(b"\r\n\r\n")[2]


def post_raw(body: bytes, length: int | None = None, close: bool = True) -> bytes:
    return (b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
            % (len(body) if length is None else length, b"Connection: close\r\n" if close else b"", body))


@pytest.fixture(scope="module")
def server(tfidf_topic_dir):
    """One server for the module; when it stops, its whole log must be free of tracebacks and errors."""
    srv = Server(tfidf_topic_dir, timeout_body=1, timeout_headers=1, max_header_bytes=4096, log_level="info")
    yield srv
    log = srv.stop()
    assert "Traceback" not in log and "ERROR" not in log, log


def test_real_server_answers_hostile_bodies_with_4xx(server):
    for body, status in ((b'{"text": ' + nested(5000) + b"}", 400), (nested(100_000), 400), (b"\xff", 400),
                         (j({"text": "\ud800"}, ascii_only=False), 400), (j({"text": "\ud800"}), 422),
                         (j({"text": "\u200b"}), 422), (j({"text": ARTICLE, "top_k": True}), 422)):
        answer = server.request(post_raw(body))
        assert answer[0] == status and set(json.loads(answer[1])) == {"error"}, answer
    assert server.request(post_raw(j({"text": ARTICLE})))[0] == 200


def test_real_server_client_gone_mid_body_is_one_line_without_traceback(server):
    start = len(server.lines)
    sock = server.connect()
    sock.sendall(post_raw(b'{"text": "abc', length=1000, close=False))
    client_port = sock.getsockname()[1]
    sock.close()
    line = server.wait_for(lambda ln: "went away" in ln, start)
    assert f":{client_port} " in line and "nothing answered" in line, server.text()
    # the server goes on, and by the time this request's access line is logged, all before it is too
    assert server.request(b"GET /health?after-disconnect HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")[0] == 200
    assert server.wait_for(lambda ln: "after-disconnect" in ln, start)
    log = server.lines[start:]
    assert sum(str(client_port) in ln for ln in log) == 1, log
    assert not any("Traceback" in ln or "ERROR" in ln for ln in log), log


def test_real_server_cuts_off_clients_that_stall(server):
    """A body that stalls gets 408 after timeout_body, headers that stall 408 after timeout_headers,
    a connection that sends nothing is closed, endless headers get 431. The stalled sockets are
    opened together and each waits for the server's answer (no elapsed time is measured)."""
    start = len(server.lines)
    body, head, silent, endless = (server.connect() for _ in range(4))
    with body, head, silent, endless:
        body.sendall(post_raw(b'{"text": "abc', length=1000, close=False))
        head.sendall(b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Ty")
        endless.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"a" * 8000)
        status, answer = read_response(body)
        assert status == 408 and "body not received within 1 s" in json.loads(answer)["error"]
        assert body.recv(10) == b""  # and its connection is closed
        status, answer = read_response(head)
        assert status == 408 and "headers not received within 1 s" in json.loads(answer)["error"]
        assert read_response(silent) == (0, b"")
        status, answer = read_response(endless)
        assert status == 431 and "over 4096 bytes" in json.loads(answer)["error"]
    assert server.wait_for(lambda ln: "headers not received" in ln, start)
    assert not any("Traceback" in ln for ln in server.lines[start:])


@pytest.fixture(scope="module")
def crowded_server(tfidf_topic_dir):
    """A small server (20 connections, 8 per address) whose headers deadline is long enough that
    only making room can let a newcomer in."""
    srv = Server(tfidf_topic_dir, timeout_headers=120, limit_concurrency=20, max_client_connections=8,
                 log_level="info")
    yield srv
    log = srv.stop()
    assert "Traceback" not in log and "ERROR" not in log, log


@pytest.mark.parametrize("silent", [7, 19, 60, 140])
def test_a_client_holding_silent_connections_cannot_starve_the_others(crowded_server, silent):
    """One client opens `silent` connections and sends nothing (or half a request line); every
    later request still gets 200, never 503: idle connections are shed first, oldest first."""
    held = [crowded_server.connect() for _ in range(silent)]
    try:
        for i, sock in enumerate(held):
            if i % 2:
                sock.sendall(b"GET /hea")
        for _ in range(5):
            assert crowded_server.request(post_raw(j({"text": ARTICLE})))[0] == 200
    finally:
        for sock in held:
            sock.close()
