"""`khabar suggest`: the command line over adapt.suggest, and the loop it serves: suggest, label,
train with `model.prior` and `data.unlabeled`, suggest again."""

from __future__ import annotations

import json

import yaml
from outlet_corpus import OUTLET, examples, prior_model


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_the_loop_from_a_prior_of_another_taxonomy(tmp_path, cli, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    prior = prior_model(tmp_path / "prior")
    pool_examples = examples(["Sports", "Finance", "Weather"], 8, "all", seed=11, names=OUTLET, prefix="u")
    gold = {ex.id: ex.label for ex in pool_examples}
    pool = write_jsonl(tmp_path / "pool.jsonl", [{"id": ex.id, "text": ex.text} for ex in pool_examples])

    assert cli("suggest", prior, pool, "-k", "6", "-o", "first.jsonl") == 0
    first = [json.loads(line) for line in (tmp_path / "first.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(first) == 6 and all(s["guess"]["label"] in ("Sports", "Finance") for s in first)
    # the newsroom labels them (the oracle here), in its own taxonomy
    labelled = write_jsonl(tmp_path / "labelled.jsonl", [{"id": s["id"], "text": s["text"], "label": gold[s["id"]]}
                                                         for s in first])
    config = {"name": "outlet", "task": "topic", "data": {"path": [labelled], "unlabeled": pool},
              "model": {"kind": "tfidf", "prior": prior, "word_ngrams": [1, 1], "char_ngrams": None, "min_df": 1,
                        "classifier": "logreg"},
              "output_dir": str(tmp_path / "runs")}
    (tmp_path / "outlet.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert cli("train", "outlet.yaml") == 0
    capsys.readouterr()
    assert cli("suggest", str(tmp_path / "runs" / "outlet"), pool, "-k", "5", "--exclude", labelled) == 0
    second = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(second) == 5
    assert not {s["id"] for s in second} & {s["id"] for s in first}  # nothing labelled is suggested again
    assert all(s["guess"]["label"] in OUTLET.values() for s in second)  # now in the outlet's taxonomy


def test_label_studio_output_and_errors(tmp_path, cli, capsys):
    prior = prior_model(tmp_path / "prior")
    pool = write_jsonl(tmp_path / "pool.jsonl", [{"id": ex.id, "text": ex.text}
                                                 for ex in examples(["Sports", "Finance"], 3, "all", seed=12)])
    out = tmp_path / "tasks.json"
    assert cli("suggest", prior, pool, "-k", "2", "--format", "label-studio", "-o", str(out)) == 0
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert len(tasks) == 2 and all(t["predictions"][0]["result"][0]["value"]["choices"] for t in tasks)
    capsys.readouterr()
    assert cli("suggest", prior, str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "x.jsonl")) == 2
    err = capsys.readouterr().err
    assert "missing.jsonl" in err and "Traceback" not in err and not (tmp_path / "x.jsonl").exists()
    assert cli("suggest", prior, pool, "--strategy", "cleverest") == 2
