"""The streaming kind's featurizing on Ray Data (`train.ray: true`), on a local Ray (2 CPUs):
its document frequencies, IDF and spilled counts are exactly the local pass's (so a list of
examples trains the very same model), a bad row only a worker reads comes back as one line naming
the file and row, and a stream model labels shards with `khabar predict --engine ray`'s path as
it does in process. Starting Ray and its workers takes most of the time: marked slow."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
from repo import SAMPLE

from khabar.data import DataConfig
from khabar.data.chunks import stream_splits
from khabar.errors import KhabarError
from khabar.models.stream.model import StreamModel, read_counts
from khabar.models.stream.on_ray import spill_on_ray
from khabar.models.stream.params import StreamParams, StreamTrain
from khabar.normalize import NormalizeConfig

pytestmark = pytest.mark.slow


def make(ray: bool) -> StreamModel:
    return StreamModel("topic", StreamParams(n_features=2 ** 14, chunk_rows=16, shuffle_chunks=3),
                       StreamTrain(ray=ray, ray_workers=2), NormalizeConfig("standard"))


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """The sample's rows in three JSON-lines files of different lengths (so chunks end at file ends)."""
    rows = [json.loads(line) for line in open(SAMPLE / "topic.jsonl", encoding="utf-8")]
    folder = tmp_path_factory.mktemp("shards")
    for name, part in (("a", rows[:50]), ("b", rows[50:131]), ("c", rows[131:])):
        with open(folder / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in part)
    return folder


def spilled(files, n_features):
    parts = [read_counts(f, n_features) for f in files]
    return sp.vstack([x for x, _ in parts], format="csr"), np.concatenate([y for _, y in parts])


def test_ray_hashes_a_folder_of_shards_exactly_as_the_local_pass(local_ray, shards, tmp_path):
    train = stream_splits(DataConfig(path=[str(shards)]), "topic", "c.yaml").train
    by = {}
    for ray in (False, True):
        model = make(ray)
        model.start_fit(train)
        features = model.new_features()
        folder = tmp_path / str(ray)
        folder.mkdir()
        files = spill_on_ray(model, train, features, str(folder)) if ray else model._spill(train, features, str(folder))
        by[ray] = (features, *spilled(files, features.n_features), len(files))
    (local, counts, y, n_local), (remote, counts_ray, y_ray, n_ray) = by[False], by[True]
    assert remote.n_docs_ == local.n_docs_ == counts.shape[0] == 163
    assert np.array_equal(remote.df_, local.df_) and local.df_.sum() > 0
    assert (counts != counts_ray).nnz == 0 and np.array_equal(y, y_ray)
    assert n_ray > n_local  # three files: chunks end at each file's end too
    assert np.array_equal(remote.finish().idf_, local.finish().idf_)


def test_a_list_trains_the_very_same_model_on_ray(local_ray, shards):
    splits = stream_splits(DataConfig(path=[str(shards)]), "topic", "c.yaml")
    train = list(splits.train)
    local, remote = make(False).fit(train, splits.dev), make(True).fit(train, splits.dev)
    assert np.array_equal(remote.features_.idf_, local.features_.idf_)
    assert np.array_equal(remote.coef_, local.coef_) and remote.temperature_ == local.temperature_


def test_a_bad_row_only_a_worker_reads_is_one_line_naming_it(local_ray, shards, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    for f in shards.iterdir():
        (folder / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    bad_line = len((folder / "c.jsonl").read_text(encoding="utf-8").splitlines()) + 2
    with open(folder / "c.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "x", "text": "نص", "label": "sports", "split": "train"}) + "\n{not json\n")
    train = stream_splits(DataConfig(path=[str(shards)]), "topic", "c.yaml").train
    model = make(True)
    model.start_fit(train)
    train.cfg = DataConfig(path=[str(folder)])  # the workers read the damaged copy
    with pytest.raises(KhabarError, match=rf"^\S*c\.jsonl: line {bad_line}: not valid JSON"):
        spill_on_ray(model, train, model.new_features(), str(tmp_path))


def test_a_stream_model_labels_shards_on_ray_as_in_process(local_ray, shards, tmp_path):
    import pyarrow.parquet as pq

    from khabar.serving.ray import predict_with_ray

    splits = stream_splits(DataConfig(path=[str(shards)]), "topic", "c.yaml")
    model = make(False).fit(splits.train, splits.dev)
    model.save(str(tmp_path / "model"))
    result = predict_with_ray(str(tmp_path / "model"), [str(shards)], str(tmp_path / "out"), batch_size=32,
                              num_workers=1, top_k=2, progress=False)
    got = {r["id"]: r for r in pq.read_table(tmp_path / "out").to_pylist()}
    rows = [json.loads(line) for f in sorted(shards.iterdir()) for line in open(f, encoding="utf-8")]
    assert result["rows"] == len(rows) == len(got)
    proba = model.predict_proba([r["text"] for r in rows])
    for row, p in zip(rows, proba):
        assert got[row["id"]]["label"] == model.labels_[int(np.argmax(p))]
        assert got[row["id"]]["probability"] == pytest.approx(float(p.max()))
