"""serving.writers, the registry of output formats: the CLI's --format choices and help come from
it, an --output extension picks a format, and a format that does not write a kind of record is
refused in one line."""

from __future__ import annotations

import csv
import io
import json

import pytest

from khabar.cli import build_parser
from khabar.errors import KhabarError
from khabar.serving import writers
from khabar.serving.writers import WRITERS, Writer, choose_writer, register, writer_names


@pytest.fixture
def extra_format():
    """A format registered for the length of one test."""
    def write(records, stream, inputs=None):
        for record in records:
            stream.write(f"{record['id']}|{record['label']}\n")

    register(Writer("pipe", (".pipe",), ("prediction",), write, "id|label per line"))
    yield "pipe"
    del WRITERS["pipe"]


def test_a_registered_format_is_a_predict_choice_listed_in_help_and_chosen_by_extension(extra_format, capsys, cli):
    assert build_parser().parse_args(["predict", "RUN", "--format", extra_format, "-"]).format == extra_format
    assert cli("explain", "RUN", "--format", extra_format, "-") == 2  # a prediction format only
    assert f"invalid choice: '{extra_format}'" in capsys.readouterr().err
    assert cli("predict", "--help") == 0
    assert "id|label per line" in " ".join(capsys.readouterr().out.split())
    assert choose_writer("prediction", output="out/x.PIPE").name == extra_format
    assert choose_writer("prediction", output="x.pipe").name == extra_format


@pytest.mark.parametrize("kind", writers.RECORD_KINDS)
def test_every_kind_has_a_default_and_help_names_every_format(kind):
    names = writer_names(kind)
    assert names and choose_writer(kind).name == names[0]
    assert all(name in writers.writers_help(kind) for name in names)


def test_extension_picks_csv_and_format_wins_over_extension():
    assert choose_writer("prediction", output="p.csv").name == "csv"
    assert choose_writer("prediction", "jsonl", output="p.csv").name == "jsonl"
    assert choose_writer("prediction", output="p.unknown").name == writer_names("prediction")[0]
    assert choose_writer("explanation", output="e.txt").name == "text"


def test_a_format_for_another_kind_is_refused_in_one_line():
    with pytest.raises(KhabarError, match="--format csv: not a format for explanations; use one of"):
        choose_writer("explanation", "csv")


def test_predict_output_with_a_csv_extension_writes_csv(topic_run, tmp_path, cli):
    out = tmp_path / "p.csv"
    assert cli("predict", topic_run.run_dir, "--text", "فاز المنتخب بالمباراة", "-o", str(out)) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 1 and rows[0]["label"] and float(rows[0]["probability"]) > 0
    out = tmp_path / "p.jsonl"
    assert cli("predict", topic_run.run_dir, "--text", "فاز المنتخب بالمباراة", "-o", str(out)) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["label"] == rows[0]["label"]
