"""khabar.models.manifest: damaged and hostile model directories: one `KhabarError` line naming the file or key, never a
traceback, never a model that loads and answers wrongly (issue 10, part 5).

Table-driven over four tiny models built here: TF-IDF logistic regression (topic), TF-IDF LinearSVC
(probabilities by temperature), TF-IDF stance (pair features) and a scratch BERT (1 epoch). Each
model is saved once; every case copies the saved directory, damages the copy and loads it:

- every file of the directory removed, truncated to half, replaced by random bytes of its size;
- files added (pickle weights, an unlisted config a loader could read);
- the manifest edited (labels, kind, task, sections, the `files` list) or replaced;
- files damaged *and* their hash re-recorded in the manifest, so only the parsers and the
  parameter checks can catch them (a malformed skops file, a hostile vectorizer parameter, a
  config.json or tokenizer.json that does not belong to the network);

and a few representative cases run through `khabar predict` (exit 2, one `khabar: error:` line).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.base import load_model
from khabar.models.manifest import MANIFEST, file_digest, model_files
from small_corpus import SMALL_TOPIC_TRAIN
from tiny_bert import stance_examples, topic_examples

RESTORE = "re-train or restore"
TOPIC_TEXTS = ["سجل اللاعب هدفا في المباراة", "البنك المركزي يرفع سعر الفائدة", "البرلمان يصوت على القانون"]
STANCE_PAIRS = [("الحكومة ترفع أسعار الوقود", "الحكومة تنفي رفع أسعار الوقود"),
                ("المنتخب يتأهل إلى كأس العالم", "المنتخب يتأهل رسميا إلى كأس العالم")]


# -- the models, built and saved once per module ----------------------------------------------------
def _tfidf(task: str, **params):
    from khabar.models.tfidf.model import TfidfModel
    from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams
    from khabar.normalize import NormalizeConfig

    return TfidfModel(task, TfidfParams(min_df=1, **params), SeedOnlyTrain(), NormalizeConfig())


def _small_topic():
    return [Example(id=f"{label}-{i}", text=text, label=label)
            for label, texts in SMALL_TOPIC_TRAIN.items() for i, text in enumerate(texts)]


def build_logreg():
    return _tfidf("topic", classifier="logreg", word_ngrams=[1, 2], char_ngrams=[2, 4]).fit(_small_topic())


def build_svc():
    # no dev split: the temperature is fitted on 3-fold cross-validated decision scores
    return _tfidf("topic", classifier="linear_svc", word_ngrams=[1, 1], char_ngrams=[2, 3]).fit(_small_topic())


def build_stance():
    return _tfidf("stance", classifier="logreg", word_ngrams=[1, 2]).fit(stance_examples(6, seed=3, split="train"))


def build_bert():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from khabar.models.transformer.model import TransformerModel
    from khabar.models.transformer.params import ScratchParams, TransformerParams, TransformerTrain
    from khabar.normalize import NormalizeConfig

    params = TransformerParams(name_or_path="scratch", max_length=32, scratch=ScratchParams(
        layers=1, hidden=16, heads=1, intermediate=32, vocab_size=200, max_position_embeddings=32))
    train = TransformerTrain(epochs=1, batch_size=8, eval_batch_size=8, early_stopping_patience=None,
                             logging_steps=50, seed=5)
    return TransformerModel("topic", params, train, NormalizeConfig(preset="none")).fit(topic_examples(5, seed=1, split="train"))


BUILDERS = {"tfidf_logreg": build_logreg, "tfidf_svc": build_svc, "tfidf_stance": build_stance, "bert": build_bert}
TFIDF = ("tfidf_logreg", "tfidf_svc", "tfidf_stance")
KINDS = (*TFIDF, "bert")


@dataclass
class Saved:
    model: object  # the model as trained, before saving
    directory: str  # its saved directory: copy it, never change it
    inputs: list
    proba: np.ndarray  # the trained model's probabilities on `inputs`


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """kind name -> Saved, each model trained and saved on first use."""
    cache: dict[str, Saved] = {}

    def get(name: str) -> Saved:
        if name not in cache:
            model = BUILDERS[name]()
            directory = str(tmp_path_factory.mktemp(name) / "model")
            model.save(directory)
            inputs = STANCE_PAIRS if name == "tfidf_stance" else TOPIC_TEXTS
            cache[name] = Saved(model, directory, inputs, model.predict_proba(inputs))
        return cache[name]

    return get


@pytest.fixture
def copy_of(saved, tmp_path):
    """kind name -> a fresh copy of its saved directory (tmp_path/<kind>)."""
    def make(name: str) -> str:
        target = str(tmp_path / name)
        shutil.copytree(saved(name).directory, target)
        return target

    return make


# -- helpers to damage a directory ------------------------------------------------------------------
def read_manifest_json(directory: str):
    with open(os.path.join(directory, MANIFEST), encoding="utf-8") as fh:
        return json.load(fh)


def write_manifest_json(directory: str, manifest) -> None:
    with open(os.path.join(directory, MANIFEST), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False)


def edit_manifest(change: Callable[[dict], object]) -> Callable[[str], None]:
    """A damage that rewrites khabar.json as `change(manifest)` (or the edited dict when it returns None)."""
    def apply(directory: str) -> None:
        manifest = read_manifest_json(directory)
        result = change(manifest)
        write_manifest_json(directory, manifest if result is None else result)

    return apply


def rehash(directory: str, *names: str) -> None:
    """Record the current size and SHA-256 of `names` in the manifest, as a forger would."""
    manifest = read_manifest_json(directory)
    for name in names:
        size, sha = file_digest(os.path.join(directory, name))
        manifest["files"][name] = {"size": size, "sha256": sha}
    write_manifest_json(directory, manifest)


def remove(directory: str, name: str) -> None:
    os.remove(os.path.join(directory, name))


def truncate(directory: str, name: str) -> None:
    path = os.path.join(directory, name)
    with open(path, "r+b") as fh:
        fh.truncate(os.path.getsize(path) // 2)


def randomize(directory: str, name: str) -> None:
    path = os.path.join(directory, name)
    size = os.path.getsize(path)
    with open(path, "wb") as fh:
        fh.write(np.random.default_rng(0).bytes(size))


def flip_last_byte(directory: str, name: str) -> None:
    """Same size, one byte changed: only the hash can tell."""
    path = os.path.join(directory, name)
    with open(path, "r+b") as fh:
        fh.seek(-1, os.SEEK_END)
        last = fh.read(1)
        fh.seek(-1, os.SEEK_END)
        fh.write(bytes([last[0] ^ 0xFF]))


def write(name: str, content: bytes = b"\x80\x04K\x01.") -> Callable[[str], None]:
    """A damage that adds a file (by default a tiny pickle)."""
    def apply(directory: str) -> None:
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(content)

    return apply


def expect_error(directory: str, *needles: str) -> str:
    """load_model raises one KhabarError line containing every needle; the message."""
    with pytest.raises(KhabarError) as info:
        load_model(directory)
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


# -- 1. every file removed, truncated, randomized, altered by one byte -----------------------------------
FILE_DAMAGE = {"removed": (remove, "missing"), "truncated": (truncate, "truncated"),
               "random bytes": (randomize, "SHA-256"), "one byte flipped": (flip_last_byte, "SHA-256")}


@pytest.mark.parametrize("damage", list(FILE_DAMAGE))
@pytest.mark.parametrize("kind", KINDS)
def test_every_damaged_file_is_named(kind, damage, saved, copy_of):
    apply, word = FILE_DAMAGE[damage]
    names = model_files(saved(kind).directory)
    assert names == sorted(read_manifest_json(saved(kind).directory)["files"])  # the manifest lists every file
    assert names, "a saved model has weights"
    for name in names:
        directory = copy_of(kind)
        apply(directory, name)
        expect_error(directory, name, word, RESTORE)
        shutil.rmtree(directory)


def test_the_files_a_kind_saves(saved):
    """The weights every kind writes are listed (a change in what transformers saves shows here)."""
    assert model_files(saved("tfidf_logreg").directory) == ["pipeline.skops"]
    bert = set(model_files(saved("bert").directory))
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= bert
    assert not any(name.endswith((".bin", ".pt", ".pkl")) for name in bert)


# -- 2. extra files -----------------------------------------------------------------------------------------
EXTRA_FILES = [
    # (file added, words the message must hold)
    ("pytorch_model.bin", ("pytorch_model.bin", "pickle")),
    ("model.pkl", ("model.pkl", "pickle")),
    ("sub/weights.pt", ("weights.pt", "pickle")),
    ("training_args.bin", ("training_args.bin", "pickle")),
    ("adapter_config.json", ("adapter_config.json", "not one of the model's files")),
    ("vocab.txt", ("vocab.txt", "not one of the model's files")),
    ("pipeline2.skops", ("pipeline2.skops", "not one of the model's files")),
]


@pytest.mark.parametrize("name, needles", EXTRA_FILES, ids=[row[0] for row in EXTRA_FILES])
@pytest.mark.parametrize("kind", KINDS)
def test_an_unlisted_file_is_refused(kind, name, needles, copy_of):
    directory = copy_of(kind)
    write(name)(directory)
    expect_error(directory, *needles)


def test_hidden_files_are_ignored(saved, copy_of):
    """.DS_Store and the like: no loader reads them, so they neither count nor block."""
    directory = copy_of("tfidf_logreg")
    write(".DS_Store", b"junk")(directory)
    assert np.array_equal(load_model(directory).predict_proba(saved("tfidf_logreg").inputs), saved("tfidf_logreg").proba)


# -- 3. the manifest edited -----------------------------------------------------------------------------------
def _set(key, value):
    def change(m):
        m[key] = value
    return change


def _drop(key):
    return lambda m: m.pop(key) and None


def _first_file(m):
    return sorted(m["files"])[0]


def _alter_entry(field, value):
    def change(m):
        m["files"][_first_file(m)][field] = value
    return change


def _raw(text: str) -> Callable[[str], None]:
    def apply(directory):
        with open(os.path.join(directory, MANIFEST), "w", encoding="utf-8") as fh:
            fh.write(text)
    return apply


def _truncated_manifest(directory):
    truncate(directory, MANIFEST)


MANIFEST_EDITS = [
    # (case, damage, words the message must hold)
    ("labels missing", edit_manifest(_drop("labels")), ("labels", "missing")),
    ("labels []", edit_manifest(_set("labels", [])), ("labels",)),
    ("labels one label", edit_manifest(lambda m: m.update(labels=m["labels"][:1])), ("labels", "at least two")),
    ("labels a string", edit_manifest(_set("labels", "a,b,c")), ("labels",)),
    ("labels numbers", edit_manifest(_set("labels", [1, 2, 3])), ("labels", "string")),
    ("labels an empty name", edit_manifest(lambda m: m.update(labels=m["labels"][:-1] + [""])), ("labels",)),
    ("labels repeated", edit_manifest(lambda m: m.update(labels=m["labels"] + m["labels"][:1])), ("labels", "more than once")),
    ("labels one renamed", edit_manifest(lambda m: m.update(labels=m["labels"][:-1] + ["Religion"])), ("labels", "Religion")),
    ("labels one extra", edit_manifest(lambda m: m.update(labels=m["labels"] + ["Religion"])), ("labels", "Religion")),
    ("labels one dropped", edit_manifest(lambda m: m.update(labels=m["labels"][1:])), ("labels",)),
    ("a JSON list", edit_manifest(lambda m: [m]), (MANIFEST, "list")),
    ("a JSON string", edit_manifest(lambda m: "khabar"), (MANIFEST, "string")),
    ("a JSON null", _raw("null"), (MANIFEST, "null")),
    ("empty", _raw(""), (MANIFEST, "broken")),
    ("truncated", _truncated_manifest, (MANIFEST, "broken")),
    ("not UTF-8", write(MANIFEST, b"\xff\xfe{"), (MANIFEST, "broken")),
    ("nested 100k deep", _raw("[" * 100_000), (MANIFEST, "broken")),
    ("removed", lambda d: remove(d, MANIFEST), (MANIFEST, "missing", RESTORE)),
    ("kind unknown", edit_manifest(_set("kind", "svm")), ("kind", "svm", "tfidf, transformer")),
    ("kind missing", edit_manifest(_drop("kind")), ("kind", "missing")),
    ("kind a list", edit_manifest(_set("kind", ["tfidf"])), ("kind",)),
    ("task unknown", edit_manifest(_set("task", "sentiment")), ("task", "sentiment", "topic, stance")),
    ("task missing", edit_manifest(_drop("task")), ("task", "missing")),
    ("task a number", edit_manifest(_set("task", 3)), ("task",)),
    ("normalize a string", edit_manifest(_set("normalize", "standard")), ("normalize",)),
    ("normalize unknown preset", edit_manifest(lambda m: m["normalize"].update(preset="nonsense")), (MANIFEST, "normalize.preset")),
    ("normalize unknown step", edit_manifest(lambda m: m["normalize"].update(steps={"shout": True})), (MANIFEST, "normalize.steps.shout")),
    ("params a list", edit_manifest(_set("params", [])), ("params",)),
    ("params unknown key", edit_manifest(lambda m: m["params"].update(hidden_layers=3)), ("params", "hidden_layers")),
    ("train missing", edit_manifest(_drop("train")), ("train", "missing")),
    ("train seed a string", edit_manifest(lambda m: m["train"].update(seed="x")), ("train.seed",)),
    ("several problems at once", edit_manifest(lambda m: [m.pop("labels"), m.update(task=None)] and None),
     ("labels", "task")),
    ("khabar_version a number", edit_manifest(_set("khabar_version", 1)), ("khabar_version",)),
    ("files a list", edit_manifest(_set("files", [])), ("files",)),
    ("files empty", edit_manifest(_set("files", {})), ("files",)),
    ("files entry sha256 altered", edit_manifest(_alter_entry("sha256", "0" * 64)), ("SHA-256",)),
    ("files entry sha256 not hex", edit_manifest(_alter_entry("sha256", "xyz")), ("files", "sha256")),
    ("files entry size altered", edit_manifest(_alter_entry("size", 3)), ("bytes", "3")),
    ("files entry size negative", edit_manifest(_alter_entry("size", -1)), ("files",)),
    ("files entry dropped", edit_manifest(lambda m: m["files"].pop(_first_file(m)) and None), ("not one of the model's files",)),
    ("files lists one more", edit_manifest(lambda m: m["files"].update({"extra.json": m["files"][_first_file(m)]})),
     ("extra.json", "missing")),
    ("files path escapes", edit_manifest(lambda m: m["files"].update({"../x": m["files"][_first_file(m)]})),
     ("files", "../x")),
    ("files lists the manifest", edit_manifest(lambda m: m["files"].update({MANIFEST: m["files"][_first_file(m)]})),
     ("files", MANIFEST)),
]


@pytest.mark.parametrize("case, damage, needles", MANIFEST_EDITS, ids=[row[0] for row in MANIFEST_EDITS])
@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_manifest_is_one_line_naming_the_key(kind, case, damage, needles, saved, copy_of):
    directory = copy_of(kind)
    damage(directory)
    files = sorted(read_manifest_json(saved(kind).directory)["files"])
    if case == "files entry dropped" and len(files) == 1:
        needles = ("files",)  # a TF-IDF model has one file: an empty list is itself invalid
    elif case in ("files entry sha256 altered", "files entry size altered", "files entry dropped"):
        needles += (files[0],)  # the file is named
    expect_error(directory, *needles)


@pytest.mark.parametrize("kind", TFIDF)
def test_tfidf_task_swapped_is_caught_by_the_test_input(kind, copy_of):
    """topic <-> stance is a valid task, but the pipeline cannot read the other task's input."""
    directory = copy_of(kind)
    edit_manifest(lambda m: m.update(task="topic" if m["task"] == "stance" else "stance"))(directory)
    expect_error(directory, "pipeline.skops", "test input")


@pytest.mark.parametrize("kind", TFIDF)
def test_tfidf_reordered_labels_change_nothing(kind, saved, copy_of):
    """TF-IDF weights map classes by name: a reordered label list reorders the columns and
    keeps every prediction (the transformer, whose config.json fixes the order, refuses it)."""
    ref = saved(kind)
    directory = copy_of(kind)
    edit_manifest(lambda m: m.update(labels=m["labels"][::-1]))(directory)
    model = load_model(directory)
    assert model.labels_ == ref.model.labels_[::-1]
    assert np.array_equal(model.predict_proba(ref.inputs), ref.proba[:, ::-1])
    assert model.predict(ref.inputs) == ref.model.predict(ref.inputs)


def test_bert_reordered_labels_are_refused(copy_of):
    directory = copy_of("bert")
    edit_manifest(lambda m: m.update(labels=m["labels"][::-1]))(directory)
    expect_error(directory, "config.json labels", "khabar.json labels", RESTORE)


# -- 4. damaged files whose hash was re-recorded: the parsers and the parameter checks ------------------
def _load_pipeline(directory):
    import skops.io as sio

    from khabar.models.tfidf import TRUSTED_TYPES

    return sio.load(os.path.join(directory, "pipeline.skops"), trusted=list(TRUSTED_TYPES))


def _save_pipeline(directory, pipeline):
    import skops.io as sio

    sio.dump(pipeline, os.path.join(directory, "pipeline.skops"))
    rehash(directory, "pipeline.skops")


def _vectorizer(pipeline):
    """The first scikit-learn text vectorizer in the features step (packed by CompactState when saved)."""
    from sklearn.feature_extraction.text import CountVectorizer

    features = pipeline.named_steps["features"]
    return next(v for _, v in sorted(vars(features).items()) if isinstance(v, CountVectorizer))


def hostile_pipeline(change: Callable) -> Callable[[str], None]:
    """Rebuild the legit pipeline with `change(pipeline)` applied, save it with skops, record its hash."""
    def apply(directory):
        pipeline = _load_pipeline(directory)
        change(pipeline)
        _save_pipeline(directory, pipeline)

    return apply


def _classifier(pipeline):
    final = pipeline.steps[-1][1]
    return getattr(final, "classifier", None) or final  # TemperatureScaled wraps the LinearSVC


def _hide_vectorizer(pipeline):
    from sklearn.feature_extraction.text import CountVectorizer

    _classifier(pipeline).notes_ = {"spare": [CountVectorizer(input="filename")]}


def _rename_classes(pipeline):
    clf = _classifier(pipeline)
    clf.classes_ = np.array([f"x{i}" for i in range(len(clf.classes_))], dtype=object)


def _skops_zip(directory, rewrite: Callable[[str, bytes], bytes]) -> None:
    path = os.path.join(directory, "pipeline.skops")
    with zipfile.ZipFile(path) as zf:
        entries = [(info.filename, zf.read(info.filename)) for info in zf.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries:
            zf.writestr(name, rewrite(name, data))
    with open(path, "wb") as fh:
        fh.write(out.getvalue())


def _with_rehash(damage, *names):
    def apply(directory):
        damage(directory)
        rehash(directory, *names)
    return apply


SKOPS = "pipeline.skops"
TFIDF_FORGED = [
    # (case, damage, words the message must hold); every damage here re-records the file's hash
    ("skops truncated", _with_rehash(lambda d: truncate(d, SKOPS), SKOPS), (SKOPS, "not a readable skops file")),
    ("skops not a zip", _with_rehash(lambda d: randomize(d, SKOPS), SKOPS), (SKOPS, "not a readable skops file")),
    ("skops empty", _with_rehash(write(SKOPS, b""), SKOPS), (SKOPS, "not a readable skops file")),
    ("skops JSON inside broken", _with_rehash(lambda d: _skops_zip(d, lambda n, b: b[: len(b) // 2] if n == "schema.json" else b), SKOPS),
     (SKOPS, "not a readable skops file")),
    ("skops JSON inside not JSON", _with_rehash(lambda d: _skops_zip(d, lambda n, b: b"\xff\x00" if n == "schema.json" else b), SKOPS),
     (SKOPS, "not a readable skops file")),
    ("skops array inside broken", _with_rehash(lambda d: _skops_zip(d, lambda n, b: b[:20] if n.endswith(".npy") else b), SKOPS),
     (SKOPS, "not a readable skops file")),
    ("vectorizer input=filename", hostile_pipeline(lambda p: _vectorizer(p).set_params(input="filename")), (SKOPS, "input='filename'")),
    ("vectorizer input=file", hostile_pipeline(lambda p: _vectorizer(p).set_params(input="file")), (SKOPS, "input='file'")),
    ("vectorizer analyzer unknown", hostile_pipeline(lambda p: _vectorizer(p).set_params(analyzer="chars")), (SKOPS, "analyzer")),
    ("vectorizer encoding", hostile_pipeline(lambda p: _vectorizer(p).set_params(encoding="latin-1")), (SKOPS, "encoding")),
    ("vectorizer decode_error", hostile_pipeline(lambda p: _vectorizer(p).set_params(decode_error="ignore")), (SKOPS, "decode_error")),
    ("vectorizer hidden in the classifier", hostile_pipeline(_hide_vectorizer), (SKOPS, "notes_", "input='filename'")),
    ("vectorizer preprocessor a function", hostile_pipeline(lambda p: _vectorizer(p).set_params(preprocessor=os.getcwd)),
     (SKOPS, "trusted")),
    ("pipeline memory", hostile_pipeline(lambda p: p.set_params(memory="/tmp/khabar-cache")), (SKOPS, "memory")),
    ("classes renamed", hostile_pipeline(_rename_classes), ("khabar.json labels", "differ from the weights' classes", RESTORE)),
    ("coefficients cut", hostile_pipeline(lambda p: setattr(_classifier(p), "coef_", _classifier(p).coef_[:, :3])),
     (SKOPS, "test input")),
    ("not a pipeline", lambda d: _save_pipeline(d, _load_pipeline(d).named_steps["features"]),
     (SKOPS, "not the scikit-learn Pipeline")),
    ("manifest without files, skops truncated", lambda d: [truncate(d, SKOPS), edit_manifest(_drop("files"))(d)],
     (SKOPS, "not a readable skops file")),
    ("manifest without files, skops removed", lambda d: [remove(d, SKOPS), edit_manifest(_drop("files"))(d)],
     (SKOPS, "missing")),
]


@pytest.mark.parametrize("case, damage, needles", TFIDF_FORGED, ids=[row[0] for row in TFIDF_FORGED])
@pytest.mark.parametrize("kind", TFIDF)
def test_tfidf_forged_weights_are_refused(kind, case, damage, needles, copy_of):
    directory = copy_of(kind)
    damage(directory)
    expect_error(directory, *needles)


def test_svc_temperature_must_be_positive(copy_of):
    directory = copy_of("tfidf_svc")
    hostile_pipeline(lambda p: setattr(p.steps[-1][1], "temperature_", 0.0))(directory)
    expect_error(directory, SKOPS, "temperature")


def test_the_parameter_check_is_what_stops_input_filename(copy_of, tmp_path, monkeypatch):
    """The forged file passes the hash and the trusted-type checks: without the parameter check the
    vectorizer would open a file named by a word of the input."""
    import skops.io as sio

    from khabar.models.tfidf import TRUSTED_TYPES

    directory = copy_of("tfidf_logreg")
    hostile_pipeline(lambda p: _vectorizer(p).set_params(input="filename"))(directory)
    path = os.path.join(directory, SKOPS)
    assert not [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
    assert _vectorizer(sio.load(path, trusted=list(TRUSTED_TYPES))).input == "filename"
    expect_error(directory, "input='filename'")


def _bert_config(change):
    def apply(directory):
        path = os.path.join(directory, "config.json")
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh)
        change(config)
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(config, fh)
        rehash(directory, "config.json")
    return apply


def _bigger_tokenizer(directory):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    tokenizer.add_tokens([f"كلمة{i}" for i in range(500)])
    tokenizer.save_pretrained(directory)
    rehash(directory, *[n for n in model_files(directory) if n.startswith("tokenizer")])


def _drop_files_entry(directory):
    edit_manifest(_drop("files"))(directory)


BERT_FORGED = [
    ("config.json not JSON", _with_rehash(lambda d: randomize(d, "config.json"), "config.json"), ("config.json",)),
    ("config.json a list", _with_rehash(write("config.json", b"[]"), "config.json"), ("config.json",)),
    ("config.json other labels", _bert_config(lambda c: c.update(id2label={str(i): f"x{i}" for i in range(len(c["id2label"]))})),
     ("config.json labels", "khabar.json labels")),
    ("config.json other sizes", _bert_config(lambda c: c.update(hidden_size=32, intermediate_size=64)), ("config.json",)),
    ("config.json other vocabulary size", _bert_config(lambda c: c.update(vocab_size=c["vocab_size"] + 7)), ("config.json",)),
    ("model.safetensors truncated", _with_rehash(lambda d: truncate(d, "model.safetensors"), "model.safetensors"),
     ("model.safetensors",)),
    ("model.safetensors random", _with_rehash(lambda d: randomize(d, "model.safetensors"), "model.safetensors"),
     ("model.safetensors",)),
    ("tokenizer.json truncated", _with_rehash(lambda d: truncate(d, "tokenizer.json"), "tokenizer.json"), ("tokenizer.json",)),
    ("tokenizer.json random", _with_rehash(lambda d: randomize(d, "tokenizer.json"), "tokenizer.json"), ("tokenizer.json",)),
    ("tokenizer_config.json not JSON", _with_rehash(lambda d: truncate(d, "tokenizer_config.json"), "tokenizer_config.json"),
     ("tokenizer_config.json",)),
    ("tokenizer.json from a bigger vocabulary", _bigger_tokenizer, ("tokenizer.json", "do not belong together")),
    ("manifest without files, tokenizer.json removed", lambda d: [remove(d, "tokenizer.json"), _drop_files_entry(d)],
     ("tokenizer.json", "missing")),
    ("manifest without files, model.safetensors removed", lambda d: [remove(d, "model.safetensors"), _drop_files_entry(d)],
     ("model.safetensors", "missing")),
    ("manifest without files, pytorch_model.bin instead of safetensors",
     lambda d: [os.rename(os.path.join(d, "model.safetensors"), os.path.join(d, "pytorch_model.bin")), _drop_files_entry(d)],
     ("pytorch_model.bin", "pickle")),
    ("manifest without files, safetensors truncated", lambda d: [truncate(d, "model.safetensors"), _drop_files_entry(d)],
     ("model.safetensors",)),
]


@pytest.mark.parametrize("case, damage, needles", BERT_FORGED, ids=[row[0] for row in BERT_FORGED])
def test_bert_forged_files_are_refused(case, damage, needles, copy_of):
    directory = copy_of("bert")
    damage(directory)
    expect_error(directory, *needles, RESTORE)


# -- 5. the legit models still load ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_a_legit_model_loads_and_predicts_the_same_probabilities(kind, saved):
    ref = saved(kind)
    manifest = read_manifest_json(ref.directory)
    for name, entry in manifest["files"].items():
        assert file_digest(os.path.join(ref.directory, name)) == (entry["size"], entry["sha256"])
    model = load_model(ref.directory)
    if kind == "bert":
        model.set_device("cpu")
    assert model.labels_ == ref.model.labels_
    assert np.array_equal(model.predict_proba(ref.inputs), ref.proba)


@pytest.mark.parametrize("kind", ["tfidf_svc", "bert"])
def test_a_model_saved_before_file_lists_loads_with_one_notice(kind, saved, copy_of, capsys):
    ref = saved(kind)
    directory = copy_of(kind)
    edit_manifest(_drop("files"))(directory)
    capsys.readouterr()
    model = load_model(directory)
    if kind == "bert":
        model.set_device("cpu")
    notice = capsys.readouterr().err.strip().splitlines()
    assert len(notice) == 1 and notice[0].startswith("khabar: ") and "not verified" in notice[0]
    assert np.array_equal(model.predict_proba(ref.inputs), ref.proba)


def test_a_loaded_model_saved_again_lists_its_own_files(saved, tmp_path):
    ref = saved("tfidf_stance")
    model = load_model(ref.directory)
    model.save(str(tmp_path / "again"))
    manifest = read_manifest_json(str(tmp_path / "again"))
    assert sorted(manifest["files"]) == ["pipeline.skops"]
    assert not (tmp_path / "again" / f".{MANIFEST}.tmp").exists()
    assert np.array_equal(load_model(str(tmp_path / "again")).predict_proba(ref.inputs), ref.proba)


# -- 6. through the CLI: exit 2, one line, no traceback ------------------------------------------------------
CLI_CASES = [
    # (kind, case, damage, word the line must hold)
    ("tfidf_logreg", "weights removed", lambda d: remove(d, SKOPS), SKOPS),
    ("tfidf_logreg", "weights truncated", lambda d: truncate(d, SKOPS), SKOPS),
    ("tfidf_logreg", "manifest a JSON list", edit_manifest(lambda m: [m]), MANIFEST),
    ("tfidf_logreg", "labels missing", edit_manifest(_drop("labels")), "labels"),
    ("tfidf_logreg", "pickle weights added", write("pytorch_model.bin"), "pytorch_model.bin"),
    ("tfidf_stance", "input=filename", hostile_pipeline(lambda p: _vectorizer(p).set_params(input="filename")), "input"),
    ("tfidf_svc", "skops not a zip, hash re-recorded", _with_rehash(lambda d: randomize(d, SKOPS), SKOPS), SKOPS),
    ("tfidf_svc", "classes renamed", hostile_pipeline(_rename_classes), "classes"),
    ("bert", "tokenizer.json removed", lambda d: remove(d, "tokenizer.json"), "tokenizer.json"),
    ("bert", "safetensors random", lambda d: randomize(d, "model.safetensors"), "model.safetensors"),
    ("bert", "config.json other labels", _bert_config(lambda c: c.update(id2label={str(i): f"x{i}" for i in range(len(c["id2label"]))})),
     "config.json"),
]


@pytest.mark.parametrize("kind, case, damage, word", CLI_CASES, ids=[f"{r[0]}-{r[1]}" for r in CLI_CASES])
def test_cli_predict_on_a_damaged_model_is_one_error_line(kind, case, damage, word, copy_of, capsys):
    from khabar.cli import main

    directory = copy_of(kind)
    damage(directory)
    capsys.readouterr()
    args = ["predict", directory, "--text", "الحكومة تنفي الخبر"]
    if kind == "tfidf_stance":
        args += ["--pair", "الحكومة تنفي رفع أسعار الوقود"]
    try:
        status = main(args)
    except SystemExit as exc:  # argparse
        status = exc.code
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith("khabar: error: "), err
    assert word in lines[0] and "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize("kind", ["tfidf_stance", "bert"])
def test_cli_predict_on_a_legit_model_works(kind, saved, capsys):
    from khabar.cli import main

    args = ["predict", saved(kind).directory, "--text", "الحكومة ترفع أسعار الوقود"]
    if kind == "tfidf_stance":
        args += ["--pair", "الحكومة تنفي رفع أسعار الوقود"]
    else:
        args += ["--device", "cpu"]
    capsys.readouterr()
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert json.loads(out.splitlines()[0])["label"] in saved(kind).model.labels_
    assert "error" not in err


@pytest.mark.parametrize("name", ["tfidf_svc", "bert"])
def test_label_offsets_in_the_manifest_decide_every_kinds_predictions(name, saved, copy_of):
    """A one-label model of any kind applies its manifest's `label_offsets` (probabilities times
    exp(offset), renormalized): a large offset on one label makes it every row's decision."""
    original = saved(name)
    labels = list(original.model.labels_)
    favoured = labels[int(np.argmin(original.proba.mean(axis=0)))]  # the label the model likes least
    offsets = {lab: (30.0 if lab == favoured else 0.0) for lab in labels}
    directory = copy_of(name)
    edit_manifest(lambda m: m.update(label_offsets={"offsets": offsets, "chosen_on": "a test"}))(directory)
    model = load_model(directory)
    proba = model.predict_proba(original.inputs)
    assert model.predict(original.inputs) == [favoured] * len(original.inputs)
    expected = original.proba * np.exp(np.array([offsets[lab] for lab in labels]) - 30.0)
    assert np.allclose(proba, expected / expected.sum(axis=1, keepdims=True))
