"""khabar: classify Arabic news by topic and by stance.

The Python API (documented in README "Python API"; the `khabar` command calls the same functions):

    import khabar
    model = khabar.load("experiments/sample_topic_tfidf")      # a run, its model/ or an experiment
    model.predict(["فاز المنتخب بالمباراة"])                   # records, the stored threshold applied
    model.explain(["فاز المنتخب بالمباراة"])                   # the words behind each label
    run = khabar.train("configs/sample_topic_tfidf.yaml", overrides=["train.seed=7"])
    khabar.evaluate(run.directory, "data/sample/topic.jsonl", split="test")
    khabar.compare(["experiments/"])
    khabar.normalize("أَهْلاً", preset="standard")

The names are imported on first use (PEP 562), so `import khabar` loads no model library.
"""

__version__ = "0.1.0"

#: the public API, defined in `khabar.api` (normalize: `khabar.normalize.normalize_text`)
__all__ = ["Classifier", "Run", "compare", "evaluate", "load", "normalize", "train", "__version__"]


def __getattr__(name: str):
    if name == "normalize":  # the submodule, callable as the function (see khabar.normalize)
        import importlib

        return importlib.import_module(".normalize", __name__)
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'khabar' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
