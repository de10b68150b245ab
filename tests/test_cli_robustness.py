"""The CLI under a user's mistakes and faults: one table, one row per bad input.

Every row must end with exit status 2, exactly one `khabar: error:` line on stderr (the last
line; any lines before it are progress or notices, never a traceback), nothing on stdout that
looks like a result, and no file or folder left behind in the workspace or the output folders.
The rows run in-process through `khabar.cli.main`, so an uncaught exception fails the test too.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
from repo import ROOT

from khabar.cli import main

TOPIC = ROOT / "data" / "sample" / "topic.jsonl"
STANCE = ROOT / "data" / "sample" / "stance.jsonl"
CLAIM = "الحكومة تقرر خفض ضريبة القيمة المضافة"
TEXT = "أعلن وزير المالية أن مجلس الوزراء صادق على تقليص الضريبة"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A topic and a stance TF-IDF run on the sample (their model folders)."""
    from khabar.runs.train import train_from_config

    out = tmp_path_factory.mktemp("robust-runs")
    topic = train_from_config(str(ROOT / "configs" / "sample_topic_tfidf.yaml"),
                              [f"output_dir={out}", f"data.path={TOPIC}"])
    stance = train_from_config(str(ROOT / "configs" / "sample_stance_tfidf.yaml"),
                               [f"output_dir={out}", f"data.path={STANCE}"])
    return {"topic": os.path.join(topic.run_dir, "model"), "stance": os.path.join(stance.run_dir, "model"),
            "topic_run": topic.run_dir, "out": str(out)}


def config_text(**changes) -> str:
    """The sample topic config as YAML text, with top-level or dotted keys changed."""
    import yaml

    raw = yaml.safe_load((ROOT / "configs" / "sample_topic_tfidf.yaml").read_text(encoding="utf-8"))
    raw["data"]["path"] = str(TOPIC)
    if "data__path" in changes:
        raw["data"]["source_column"] = None  # the sample's column; other data has none
    for key, value in changes.items():
        node = raw
        parts = key.split("__")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return yaml.safe_dump(raw, allow_unicode=True)


def write(ws: Path, name: str, content) -> str:
    path = ws / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def jsonl(*records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def two_labels(n=4, **extra):
    return [{"id": f"r{i}", "text": f"نص رقم {i} عن موضوع", "label": "A" if i % 2 else "B", **extra} for i in range(n)]


# Each row: (id, build) where build(ws, runs) -> (argv, stdin bytes or None, words the error line must contain)
ROWS = [
    # ---- train: the config file
    ("train-missing-config", lambda ws, r: (["train", str(ws / "nope.yaml")], None, ["nope.yaml", "not found"])),
    ("train-invalid-yaml", lambda ws, r: (["train", write(ws, "c.yaml", "name: [x\n")], None, ["c.yaml", "YAML"])),
    ("train-yaml-list", lambda ws, r: (["train", write(ws, "c.yaml", "- a\n- b\n")], None, ["c.yaml", "mapping"])),
    ("train-config-not-utf8", lambda ws, r: (["train", write(ws, "c.yaml", b"name: \xff\xfe\n")], None, ["c.yaml", "UTF-8"])),
    ("train-unknown-key", lambda ws, r: (["train", write(ws, "c.yaml", config_text(colour="red"))], None, ["colour", "unknown key"])),
    ("train-unknown-kind", lambda ws, r: (["train", write(ws, "c.yaml", config_text(model={"kind": "svm9"}))], None, ["model.kind", "svm9", "tfidf"])),
    ("train-missing-kind", lambda ws, r: (["train", write(ws, "c.yaml", config_text(model={"C": 1}))], None, ["model.kind"])),
    ("train-C-not-number", lambda ws, r: (["train", write(ws, "c.yaml", config_text(model__C="abc"))], None, ["model.C"])),
    ("train-C-negative", lambda ws, r: (["train", write(ws, "c.yaml", config_text(model__C=-1))], None, ["model.C"])),
    ("train-name-escapes", lambda ws, r: (["train", write(ws, "c.yaml", config_text(name="../../x"))], None, ["name"])),
    ("train-name-slash", lambda ws, r: (["train", write(ws, "c.yaml", config_text(name="a/b"))], None, ["name"])),
    ("train-name-dot", lambda ws, r: (["train", write(ws, "c.yaml", config_text(name=".hidden"))], None, ["name"])),
    ("train-task-unknown", lambda ws, r: (["train", write(ws, "c.yaml", config_text(task="sentiment"))], None, ["task"])),
    ("train-stance-no-pair", lambda ws, r: (["train", write(ws, "c.yaml", config_text(task="stance"))], None, ["pair_column"])),
    ("train-topic-with-pair", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__pair_column="x"))], None, ["pair_column"])),
    ("train-split-sum", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__split={"train": 0.5, "dev": 0.1, "test": 0.1}))], None, ["data.split"])),
    ("train-bad-ngrams", lambda ws, r: (["train", write(ws, "c.yaml", config_text(model__word_ngrams=[2, 1]))], None, ["word_ngrams"])),
    ("train-no-ngrams", lambda ws, r: (["train", write(ws, "c.yaml", config_text(model__word_ngrams=None, model__char_ngrams=None))], None, ["char_ngrams"])),
    ("train-unknown-preset", lambda ws, r: (["train", write(ws, "c.yaml", config_text(normalize={"preset": "heavy"}))], None, ["normalize.preset", "heavy"])),
    ("train-unknown-step", lambda ws, r: (["train", write(ws, "c.yaml", config_text(normalize={"steps": {"vowels": True}}))], None, ["normalize.steps.vowels"])),
    ("train-transformer-head", lambda ws, r: (["train", write(ws, "c.yaml", config_text(model={"kind": "transformer", "name_or_path": "scratch", "max_length": 64, "long_strategy": "head_tail", "head_tokens": 100}))], None, ["head_tokens"])),
    ("train-set-no-equals", lambda ws, r: (["train", write(ws, "c.yaml", config_text()), "--set", "model.C"], None, ["--set", "key=value"])),
    ("train-set-into-scalar", lambda ws, r: (["train", write(ws, "c.yaml", config_text()), "--set", "name.x=1"], None, ["--set", "name"])),
    ("train-base-missing", lambda ws, r: (["train", write(ws, "c.yaml", "base: gone.yaml\nname: x\n")], None, ["base", "gone.yaml"])),
    ("train-base-loop", lambda ws, r: (["train", write(ws, "loop.yaml", "base: loop.yaml\nname: x\n")], None, ["base", "loop"])),
    ("train-output-dir-is-file", lambda ws, r: (["train", write(ws, "c.yaml", config_text(output_dir=write(ws, "afile", "x")))], None, ["output_dir", "afile"])),
    # ---- train: the data
    ("train-data-missing", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=str(ws / "none.jsonl")))], None, ["none.jsonl"])),
    ("train-data-empty", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "e.jsonl", "")))], None, ["e.jsonl", "empty"])),
    ("train-data-not-utf8", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "b.jsonl", jsonl(*two_labels()).encode() + b"\xff\n")))], None, ["b.jsonl", "line 5", "UTF-8"])),
    ("train-data-bad-json", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "j.jsonl", jsonl(*two_labels()) + "{oops\n")))], None, ["j.jsonl", "line 5"])),
    ("train-data-json-not-object", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "j.jsonl", "[1, 2]\n")))], None, ["j.jsonl", "line 1"])),
    ("train-csv-no-text-column", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "d.csv", "body,label\nنص,A\nنص,B\n")))], None, ["d.csv", "'text'"])),
    ("train-csv-duplicate-header", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "d.csv", "text,text,label\nا,ب,A\n")))], None, ["d.csv", "twice"])),
    ("train-unknown-label", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__labels=["A"], data__path=write(ws, "d.jsonl", jsonl(*two_labels()))))], None, ["d.jsonl", "row", "'B'"])),
    ("train-empty-text", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "d.jsonl", jsonl(*two_labels(), {"id": "e", "text": "  ", "label": "A"}))))], None, ["d.jsonl", "row 5", "empty"])),
    ("train-missing-label", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "d.jsonl", jsonl(*two_labels(), {"id": "e", "text": "نص"}))))], None, ["d.jsonl", "row 5"])),
    ("train-duplicate-id", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "d.jsonl", jsonl(*two_labels(), {"id": "r1", "text": "نص", "label": "A"}))))], None, ["d.jsonl", "duplicate id"])),
    ("train-bad-split-value", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "d.jsonl", jsonl(*two_labels(split="later")))))], None, ["d.jsonl", "later"])),
    ("train-one-label", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "d.jsonl", jsonl(*[{"id": f"r{i}", "text": f"نص {i}", "label": "A"} for i in range(6)]))))], None, ["label"])),
    ("train-unknown-extension", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=write(ws, "d.xlsx", "x")))], None, ["d.xlsx", "unknown file type"])),
    ("train-folder-no-txt", lambda ws, r: (["train", write(ws, "c.yaml", config_text(data__path=str((ws / "emptydir").mkdir() or ws / "emptydir")))], None, ["emptydir", ".txt"])),
    # ---- evaluate
    ("evaluate-data-missing", lambda ws, r: (["evaluate", r["topic"], "--data", str(ws / "none.jsonl")], None, ["none.jsonl"])),
    ("evaluate-not-a-model", lambda ws, r: (["evaluate", str(ws), "--data", str(TOPIC)], None, ["khabar.json"])),
    ("evaluate-label-map-malformed", lambda ws, r: (["evaluate", r["topic"], "--data", str(TOPIC), "--label-map", "sport"], None, ["--label-map"])),
    ("evaluate-label-map-unknown", lambda ws, r: (["evaluate", r["topic"], "--data", str(TOPIC), "--label-map", "sport=Sportz"], None, ["--label-map", "Sportz"])),
    ("evaluate-out-under-file", lambda ws, r: (["evaluate", r["topic"], "--data", str(TOPIC), "--out", os.path.join(write(ws, "afile", "x"), "sub")], None, ["--out", "afile"])),
    ("evaluate-stance-data-on-topic", lambda ws, r: (["evaluate", r["stance"], "--data", write(ws, "d.jsonl", jsonl(*two_labels()))], None, ["d.jsonl"])),
    ("evaluate-bad-split", lambda ws, r: (["evaluate", r["topic"], "--data", str(TOPIC), "--split", "holdout"], None, ["--split"])),
    # ---- predict
    ("predict-no-input", lambda ws, r: (["predict", r["topic"]], None, ["nothing to label"])),
    ("predict-text-and-file", lambda ws, r: (["predict", r["topic"], str(TOPIC), "--text", "x"], None, ["--text"])),
    ("predict-pair-on-topic", lambda ws, r: (["predict", r["topic"], "--text", CLAIM, "--pair", TEXT], None, ["topic model"])),
    ("predict-stance-without-pair", lambda ws, r: (["predict", r["stance"], "--text", CLAIM], None, ["stance model", "--pair"])),
    ("predict-empty-text", lambda ws, r: (["predict", r["topic"], "--text", "   "], None, ["empty"])),
    ("predict-stdin-garbage", lambda ws, r: (["predict", r["topic"], "-"], bytes(range(128, 256)) * 20, ["<stdin>", "UTF-8"])),
    ("predict-stdin-bad-line-3", lambda ws, r: (["predict", r["topic"], "-"], "سطر\nسطر\n".encode() + b"\xc3\x28\n", ["line 3", "UTF-8"])),
    ("predict-stdin-empty", lambda ws, r: (["predict", r["topic"], "-"], b"\n\n", ["no text"])),
    ("predict-stdin-stance-no-tab", lambda ws, r: (["predict", r["stance"], "-"], f"{CLAIM} {TEXT}\n".encode(), ["line 1", "claim<TAB>text"])),
    ("predict-batch-size-0", lambda ws, r: (["predict", r["topic"], "--text", TEXT, "--batch-size", "0"], None, ["--batch-size"])),
    ("predict-batch-size-negative", lambda ws, r: (["predict", r["topic"], "--text", TEXT, "--batch-size", "-1"], None, ["--batch-size"])),
    ("predict-top-k-0", lambda ws, r: (["predict", r["topic"], "--text", TEXT, "--top-k", "0"], None, ["--top-k"])),
    ("predict-top-k-word", lambda ws, r: (["predict", r["topic"], "--text", TEXT, "--top-k", "three"], None, ["--top-k"])),
    ("predict-workers-0", lambda ws, r: (["predict", r["topic"], "--text", TEXT, "--workers", "0"], None, ["--workers"])),
    ("predict-output-under-file", lambda ws, r: (["predict", r["topic"], "--text", TEXT, "-o", os.path.join(write(ws, "afile", "x"), "p.jsonl")], None, ["--output", "afile"])),
    ("predict-output-is-folder", lambda ws, r: (["predict", r["topic"], "--text", TEXT, "-o", str(ws)], None, ["--output", "folder"])),
    ("predict-input-missing", lambda ws, r: (["predict", r["topic"], str(ws / "none.csv")], None, ["none.csv"])),
    ("predict-input-empty-txt", lambda ws, r: (["predict", r["topic"], write(ws, "a.txt", "  \n")], None, ["a.txt", "empty"])),
    ("predict-input-txt-not-utf8", lambda ws, r: (["predict", r["topic"], write(ws, "a.txt", b"\xff\xfe\xfa")], None, ["a.txt", "UTF-8"])),
    ("predict-input-folder-no-txt", lambda ws, r: (["predict", r["topic"], str((ws / "nothing").mkdir() or ws / "nothing")], None, ["nothing", ".txt"])),
    ("predict-csv-missing-column", lambda ws, r: (["predict", r["topic"], write(ws, "p.csv", "body\nنص\n"), "--text-column", "text"], None, ["p.csv", "'text'"])),
    ("predict-stance-txt", lambda ws, r: (["predict", r["stance"], write(ws, "a.txt", "نص")], None, ["a.txt", "claim"])),
    ("predict-ray-no-output", lambda ws, r: (["predict", r["topic"], str(TOPIC), "--engine", "ray"], None, ["--output"])),
    ("predict-not-a-model", lambda ws, r: (["predict", str(ws), "--text", TEXT], None, ["khabar.json"])),
    ("predict-missing-model", lambda ws, r: (["predict", str(ws / "gone"), "--text", TEXT], None, ["gone"])),
    ("predict-broken-manifest", lambda ws, r: (["predict", broken_model(ws, r, "{not json"), "--text", TEXT], None, ["khabar.json"])),
    ("predict-cuda-on-cpu-kind", lambda ws, r: (["predict", r["topic"], "--text", TEXT, "--device", "cuda"], None, ["--device"])),
    # ---- compare
    ("compare-resamples-0", lambda ws, r: (["compare", r["out"], "--resamples", "0"], None, ["--resamples"])),
    ("compare-no-runs", lambda ws, r: (["compare", str((ws / "empty").mkdir() or ws / "empty")], None, ["no finished runs"])),
    ("compare-missing-dir", lambda ws, r: (["compare", str(ws / "gone")], None, ["gone"])),
    ("compare-unknown-metric", lambda ws, r: (["compare", r["out"], "--metric", "test.magic", "--out", str(ws / "cmp")], None, ["test.magic"])),
    ("compare-out-under-file", lambda ws, r: (["compare", r["out"], "--out", os.path.join(write(ws, "afile", "x"), "c")], None, ["--out", "afile"])),
    # ---- normalize
    ("normalize-bad-byte-line-1", lambda ws, r: (["normalize", write(ws, "n.txt", b"\xffabc\n")], None, ["n.txt", "line 1", "UTF-8"])),
    ("normalize-bad-byte-line-3-to-file", lambda ws, r: (["normalize", write(ws, "n.txt", "أ\nب\n".encode() + b"\xff\n"), "-o", str(ws / "out" / "n.txt")], None, ["n.txt", "line 3"])),
    ("normalize-stdin-garbage", lambda ws, r: (["normalize", "-"], b"ok\n\x80\x81\n", ["<stdin>", "line 2"])),
    ("normalize-unknown-preset", lambda ws, r: (["normalize", "--preset", "heavy", "-"], b"x\n", ["heavy"])),
    ("normalize-step-format", lambda ws, r: (["normalize", "--step", "hamza", "-"], b"x\n", ["--step"])),
    ("normalize-unknown-step", lambda ws, r: (["normalize", "--step", "vowels=on", "-"], b"x\n", ["vowels"])),
    ("normalize-file-missing", lambda ws, r: (["normalize", str(ws / "none.txt")], None, ["none.txt"])),
    # ---- serve (fails before binding a port)
    ("serve-port-0", lambda ws, r: (["serve", r["topic"], "--port", "0"], None, ["--port"])),
    ("serve-port-too-big", lambda ws, r: (["serve", r["topic"], "--port", "70000"], None, ["--port"])),
    ("serve-wait-negative", lambda ws, r: (["serve", r["topic"], "--max-wait-ms", "-1"], None, ["--max-wait-ms"])),
    ("serve-wait-nan", lambda ws, r: (["serve", r["topic"], "--max-wait-ms", "nan"], None, ["--max-wait-ms"])),
    ("serve-workers-0", lambda ws, r: (["serve", r["topic"], "--workers", "0"], None, ["--workers"])),
    ("serve-threads-0", lambda ws, r: (["serve", r["topic"], "--threads", "0"], None, ["--threads"])),
    ("serve-timeout-body-0", lambda ws, r: (["serve", r["topic"], "--timeout-body", "0"], None, ["--timeout-body"])),
    ("serve-limit-concurrency-0", lambda ws, r: (["serve", r["topic"], "--limit-concurrency", "0"], None, ["--limit-concurrency"])),
    ("serve-not-a-model", lambda ws, r: (["serve", str(ws)], None, ["khabar.json"])),
    # ---- data stats
    ("stats-missing-path", lambda ws, r: (["data", "stats", str(ws / "none.jsonl")], None, ["none.jsonl"])),
    ("stats-bad-config", lambda ws, r: (["data", "stats", write(ws, "c.yaml", config_text(colour="red"))], None, ["colour"])),
    ("stats-stance-without-pair", lambda ws, r: (["data", "stats", write(ws, "d.jsonl", jsonl(*two_labels())), "--task", "stance"], None, ["d.jsonl", "claim"])),
    # ---- the command line itself
    ("unknown-command", lambda ws, r: (["retrain"], None, ["retrain"])),
    ("unknown-flag", lambda ws, r: (["predict", r["topic"], "--colour", "red"], None, ["--colour"])),
]


def broken_model(ws: Path, runs: dict, manifest: str) -> str:
    """A copy of the topic model whose khabar.json holds `manifest`."""
    import shutil

    target = ws / "broken-model"
    shutil.copytree(runs["topic"], target)
    (target / "khabar.json").write_text(manifest, encoding="utf-8")
    return str(target)


def snapshot(*folders: str) -> set[str]:
    found = set()
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            found.update(os.path.join(root, name) for name in dirs + files)
    return found


def test_the_table_is_large():
    assert len(ROWS) >= 60 and len({name for name, _ in ROWS}) == len(ROWS)


@pytest.mark.parametrize("name,build", ROWS, ids=[name for name, _ in ROWS])
def test_bad_input_ends_in_one_line_and_exit_2(name, build, runs, tmp_path, monkeypatch, capsys):
    ws = tmp_path / "ws"
    ws.mkdir()
    argv, stdin, words = build(ws, runs)
    monkeypatch.chdir(ws)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin or b""), encoding="utf-8"))
    before = snapshot(str(ws), runs["out"])
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse refusing a flag exits through SystemExit(2)
        status = exc.code
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, (name, status, err)
    assert "Traceback" not in err
    errors = [line for line in lines if line.startswith("khabar: error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], lines
    for word in words:
        assert word in errors[0], (word, errors[0])
    assert not any(line.startswith("{") for line in out.splitlines()), out  # no predictions written
    assert snapshot(str(ws), runs["out"]) == before, "files left behind"
