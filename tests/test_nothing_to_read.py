"""Inputs with nothing to read get one answer on every path (issue 24, class 8).

The rule (`examples.has_something_to_read`, part of `examples.model_input`): a text needs at
least one letter of some script. Texts made only of symbols and emoji (So, Sk, Sm, Sc), digits
(Nd, No), punctuation (P*), controls and format characters (Cc, Cf), spaces (Zs) and combining
marks (Mn) are generated and sent through every input path: the rule itself, a model's
`predict_proba` (what Ray's workers and every other caller reach), `--text`, standard input, a
.txt file, a table file to label, labeled data (refused, or skipped with a count under
`data.skip_empty`), and HTTP (a 422 naming the field). Texts with one letter anywhere pass.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khabar.data import DataConfig, load_examples, read_unlabeled
from khabar.errors import KhabarError
from khabar.examples import has_something_to_read, model_input
from khabar.models.base import load_model
from khabar.serving.predict import examples_from_stream, examples_from_strings

NO_LETTER = ("So", "Sk", "Sm", "Sc", "Nd", "No", "Nl", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Cc", "Cf", "Zs",
             "Mn", "Me", "Lm")
# nothing to read, but not blank either (blank is "empty text", refused the same way)
nothing = st.text(st.characters(whitelist_categories=NO_LETTER, blacklist_characters="\n\r\x1c\x1d\x1e\x85"),
                  min_size=1, max_size=12).filter(lambda t: t.strip())
letter = st.characters(whitelist_categories=("Lu", "Ll", "Lt", "Lo"))


@given(nothing)
def test_the_rule_refuses_texts_without_a_letter(text):
    assert not has_something_to_read(text)
    for task, parts in (("topic", (text,)), ("stance", (text, "فاز الفريق")), ("stance", ("فاز الفريق", text))):
        with pytest.raises(KhabarError, match="nothing to read"):
            model_input(task, *parts, where="x")


@given(nothing, letter, nothing)
def test_one_letter_anywhere_is_something_to_read(before, one, after):
    assert has_something_to_read(before + one + after)
    assert model_input("topic", before + one + after) == before + one + after


@pytest.fixture(scope="module")
def model(small_tfidf_dir):
    return load_model(str(small_tfidf_dir))


@settings(max_examples=30)
@given(nothing)
def test_every_local_path_refuses_it(model, tmp_path_factory, text):
    with pytest.raises(KhabarError, match="nothing to read"):
        model.predict_proba(["فاز الفريق بالمباراة", text])  # the model itself: Ray's workers, evaluate, explain
    with pytest.raises(KhabarError, match="--text: nothing to read"):
        examples_from_strings("topic", text, None)
    with pytest.raises(KhabarError, match="<stdin>: line 2: nothing to read"):
        examples_from_stream("topic", _Bytes("فاز الفريق\n" + text + "\n"))
    folder = tmp_path_factory.mktemp("nothing")
    (folder / "a.txt").write_text(text, encoding="utf-8")
    with pytest.raises(KhabarError, match="a.txt: nothing to read"):
        read_unlabeled(str(folder / "a.txt"), "topic")
    table = folder / "d.jsonl"
    table.write_text("\n".join(json.dumps({"text": t, "label": "sport"}, ensure_ascii=False)
                               for t in ("فاز الفريق", text, "سجل هدفا")) + "\n", encoding="utf-8")
    with pytest.raises(KhabarError, match=r"d.jsonl: row 2: nothing to read .* column 'text'"):
        read_unlabeled(str(table), "topic")
    with pytest.raises(KhabarError, match=r"d.jsonl: row 2: nothing to read .*data.skip_empty"):
        load_examples(DataConfig(path=[str(table)]), "topic", str(table))
    kept = load_examples(DataConfig(path=[str(table)], skip_empty=True), "topic", str(table))
    assert [ex.text for ex in kept] == ["فاز الفريق", "سجل هدفا"]


class _Bytes:
    """A stream whose `.buffer` gives bytes, like sys.stdin."""

    def __init__(self, text: str):
        import io

        self.buffer = io.BytesIO(text.encode("utf-8"))


@pytest.fixture(scope="module")
def client(small_tfidf_dir):
    pytest.importorskip("httpx", reason="TestClient needs httpx: pip install 'khabar[serve]'")
    from fastapi.testclient import TestClient

    from khabar.serving.http import create_app

    with TestClient(create_app(str(small_tfidf_dir))) as made:
        yield made


@settings(max_examples=30)
@given(nothing.filter(lambda t: "\x00" not in t))
def test_http_refuses_it_naming_the_field(client, text):
    for body, field in (({"text": text}, "text"), ({"texts": ["فاز الفريق", text]}, "texts[1]")):
        answer = client.post("/predict", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"].startswith(f"{field}: nothing to read")
