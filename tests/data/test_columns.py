"""khabar.data.columns: which columns hold the text, the claim, the label, guessed from common names."""

from __future__ import annotations

import pytest

from khabar.data.columns import guess_columns, no_pair_error


@pytest.mark.parametrize("columns, task, expected_task, text, pair, label", [
    (["id", "text", "label"], None, "topic", "text", None, "label"),
    (["ID", "Article", "Category"], None, "topic", "Article", None, "Category"),
    (["s1", "s2", "stance"], None, "stance", "s1", "s2", "stance"),
    (["claim", "text", "label"], None, "stance", "claim", "text", "label"),        # claim + text: text is the article
    (["headline", "text", "label"], None, "topic", "text", None, "label"),         # headline + text stays topic
    (["headline", "body", "topic"], None, "topic", "body", None, "topic"),         # a topic label wins over a pair
    (["claim", "article", "label"], "topic", "topic", "article", None, "label"),   # the task given is kept
    (["claim", "article", "label"], "stance", "stance", "claim", "article", "label"),
    (["foo", "bar"], None, "topic", None, None, None),
])
def test_guess_columns(columns, task, expected_task, text, pair, label):
    cols, guessed = guess_columns(columns, task)
    assert guessed == expected_task
    assert (cols["text"], cols["pair"], cols["label"]) == (text, pair, label)


def test_id_split_and_source_are_found_whatever_their_case():
    cols, _ = guess_columns(["Text", "Label", "ID", "Split", "SOURCE"], None)
    assert (cols["id"], cols["split"], cols["source"]) == ("ID", "Split", "SOURCE")


def test_no_pair_error_names_the_columns_and_the_fix():
    message = str(no_pair_error("d.csv", ["text", "label"]))
    assert message.startswith("d.csv: task stance needs a claim column and a text column; columns present: text, label")
    assert "data.pair_column" in message and "\n" not in message
