"""Label names, sources, ids and texts from the data cannot inject HTML, links or shell into the
files khabar writes (issue 24, class 9): the model card (published at /card) and report.md.

Names are generated from any characters, with hostile pieces mixed in; the Markdown is rendered
with markdown-it (CommonMark, HTML allowed as in most viewers) and the HTML must hold only the
tags khabar's own Markdown makes; the card's shell line must split, as a shell would, into the
words khabar meant, the label list one word.
"""

from __future__ import annotations

import shlex
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from khabar.runs.card import card_text
from khabar.runs.evaluate import summarize
from khabar.runs.report import report_markdown

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "$(touch /tmp/pwned)", "`id`", "a;rm -rf ~",
           "[x](javascript:alert(1))", "a|b", "line\nbreak", "<!--", "&lt;b&gt;", "**bold**", "```", "\\", "' \"",
           "<a href='javascript:alert(1)'>x</a>", "<https://evil.example>"]
name_piece = st.one_of(st.sampled_from(HOSTILE), st.text(min_size=1, max_size=8))
label_names = st.lists(st.lists(name_piece, min_size=1, max_size=3).map("".join), min_size=2, max_size=4,
                       unique=True).filter(lambda labels: all(lab.strip() for lab in labels))
OUR_TAGS = {"h1", "h2", "h3", "p", "ul", "li", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "strong",
            "em", "br", "hr", "blockquote"}
RENDER = MarkdownIt("commonmark", {"html": True}).enable("table")


class Tags(HTMLParser):
    """The tags, attributes and comments of an HTML text (escaped text is text, not tags)."""

    def __init__(self, html: str):
        super().__init__()
        self.tags, self.attrs, self.comments = set(), [], []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [name for name, _ in attrs if not (tag == "code" and name == "class")]

    def handle_comment(self, data):
        self.comments.append(data)


def assert_safe_html(markdown: str) -> None:
    found = Tags(RENDER.render(markdown))
    assert found.tags <= OUR_TAGS, found.tags - OUR_TAGS
    assert not found.attrs and not found.comments, (found.attrs, found.comments)


def manifest_for(labels):
    return {"task": "topic", "kind": "tfidf", "labels": labels, "khabar_version": "0", "data_fingerprint": "f" * 16,
            "normalize": {"preset": "standard"}}


@settings(max_examples=40)
@given(label_names, name_piece)
def test_the_card_escapes_labels_and_quotes_the_shell_line(labels, source):
    metrics = {"test.n": 10, "test.accuracy": 0.5, "test.macro_f1": 0.5, f"test.by_source.{source}.n": 3}
    config = {"name": "m", "data": {"path": [f"data/{source}.jsonl"]}, "card": {"description": source}}
    text = card_text(manifest_for(labels), metrics, config)
    body = text.split("\n---\n", 1)[1]
    assert_safe_html(body)
    block = body.split("## How to use", 1)[1].split("```sh\n", 1)[1].split("\n```", 1)[0]
    line = next(line for line in block.splitlines() if "--labels" in line)
    words = shlex.split(line)
    assert words[:7] == ["khabar", "predict", "MODEL_DIR", "articles.jsonl", "--min-confidence", "0.9", "--labels"]
    assert len(words) == 8 and words[7] in (",".join(labels[:3]), "LABEL_A,LABEL_B")


@settings(max_examples=40)
@given(label_names, name_piece, name_piece)
def test_the_report_escapes_labels_sources_ids_and_texts(labels, source, text):
    gold = [labels[i % len(labels)] for i in range(6)]
    predicted = [labels[(i + 1) % len(labels)] for i in range(6)]
    predictions = [{"id": f"{text}-{i}", "gold": g, "predicted": p, "probability": 0.6, "known": True,
                    "source": source if i % 2 else "other", "top_k": [{"label": p, "probability": 0.6}]}
                   for i, (g, p) in enumerate(zip(gold, predicted))]
    predictions.append({"id": "u", "gold": text, "predicted": labels[0], "probability": 0.6, "known": False,
                        "source": source, "top_k": []})
    result = summarize(predictions, labels)
    report = report_markdown(f"run on {source}", [(text, result)], {p["id"]: text for p in predictions})
    assert_safe_html(report)
