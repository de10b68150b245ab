"""Kinds that train in epochs report each dev evaluation, and a callback can stop the fit (how
`khabar tune` prunes transformer trials)."""

from __future__ import annotations

import glob
import os
import tempfile

import pytest
from repo import ROOT


class Stop(Exception):
    pass


def tiny_bert_config(epochs: int):
    from khabar.config import load_config

    return load_config(str(ROOT / "configs" / "sample_topic_bert.yaml"), [
        f"data.path={ROOT / 'data' / 'sample' / 'topic.jsonl'}", f"train.epochs={epochs}",
        "train.early_stopping_patience=null", "model.max_length=64", "model.head_tokens=16",
        "model.scratch={layers: 1, hidden: 16, heads: 1, intermediate: 32, vocab_size: 500}",
    ])


@pytest.mark.slow
def test_each_epoch_reports_its_dev_figures():
    from khabar.runs.train import fit_from_config

    seen = []
    fit_from_config(tiny_bert_config(2), epoch_callback=lambda epoch, figures: seen.append((epoch, figures)))
    assert [round(e) for e, _ in seen] == [1, 2]
    assert all(0.0 <= f["macro_f1"] <= 1.0 and 0.0 <= f["accuracy"] <= 1.0 for _, f in seen)


def test_a_callback_that_raises_stops_the_fit_and_leaves_no_checkpoints(tmp_path, monkeypatch):
    from khabar.runs.train import fit_from_config

    # a temporary folder of the test's own: other processes' khabar-transformer-* folders in the
    # machine's /tmp (a benchmark running meanwhile) are none of this test's business
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pattern = os.path.join(tempfile.gettempdir(), "khabar-transformer-*")
    calls = []

    def stop(epoch, figures):
        calls.append(epoch)
        raise Stop()

    with pytest.raises(Stop):
        fit_from_config(tiny_bert_config(3), epoch_callback=stop)
    assert len(calls) == 1, "training went on after the callback stopped it"
    assert glob.glob(pattern) == []
