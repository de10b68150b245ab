"""Save fitted vectorizers as one string of terms, not a dict node per term.

skops writes a Python dict as one JSON node per entry: a SANAD vocabulary (hundreds of thousands
of words and n-grams) then takes minutes to save and load. Feature transformers that hold
vectorizers mix in `CompactState`, which swaps each fitted vectorizer for its parameters, its
terms joined by newlines (no term contains one: tokens are \\w+ or \\S+ runs and char_wb n-grams
of whitespace-collapsed text) and its idf weights, and rebuilds it on load.
"""

from __future__ import annotations

from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

PACKED = "__khabar_packed_vectorizer__"
_CLASSES = {"CountVectorizer": CountVectorizer, "TfidfVectorizer": TfidfVectorizer}


def pack_vectorizer(vec: CountVectorizer) -> dict | None:
    terms = vec.get_feature_names_out()
    if any("\n" in t for t in terms) or type(vec).__name__ not in _CLASSES:
        return None
    packed = {
        "class": type(vec).__name__,
        "params": {k: v for k, v in vec.get_params().items() if k != "vocabulary"},
        "terms": "\n".join(terms),
    }
    if isinstance(vec, TfidfVectorizer):
        packed["idf"] = vec.idf_
    return packed


def unpack_vectorizer(packed: dict) -> CountVectorizer:
    terms = packed["terms"].split("\n") if packed["terms"] else []
    vec = _CLASSES[packed["class"]](**packed["params"], vocabulary=terms)
    vec._validate_vocabulary()
    if "idf" in packed:
        vec.idf_ = packed["idf"]
    return vec


class CompactState:
    """Mixin for estimators that hold fitted vectorizers as attributes (put it before BaseEstimator)."""

    def __getstate__(self):
        state = dict(super().__getstate__())  # object.__getstate__ may return __dict__ itself
        for name, value in list(state.items()):
            if isinstance(value, CountVectorizer) and hasattr(value, "vocabulary_"):
                packed = pack_vectorizer(value)
                if packed is not None:
                    state[name] = {PACKED: packed}
        return state

    def __setstate__(self, state):
        state = dict(state)
        for name, value in list(state.items()):
            if isinstance(value, dict) and PACKED in value:
                state[name] = unpack_vectorizer(value[PACKED])
        super().__setstate__(state)
