"""The command line's side of prediction: loading a model onto a device and reading the articles
to label (`--text`/`--pair`, standard input); `writers` writes the records.

The prediction itself (batching, ranking, restriction, abstaining, the record shape) is the
prediction core's, `models.predict`, shared with evaluation and every other front end. The model
directory carries its own normalization, so this module never normalizes.
"""

from __future__ import annotations


from ..data.files import decode_lines
from ..errors import KhabarError
from ..examples import Example, model_input, needs_pair
from ..models.base import Model, load_model


def load_for_prediction(path: str, device: str = "auto") -> Model:
    """A model from a model dir, a run dir or an experiment folder (`runs.choose.resolve_model_dir`),
    placed on `device`."""
    from ..runs.choose import resolve_model_dir

    model = load_model(resolve_model_dir(path))
    model.set_device(device)
    return model


def examples_from_strings(task: str, text: str, pair: str | None) -> list[Example]:
    """`--text` (and `--pair` for stance: text is the claim, pair the article)."""
    where = "--text/--pair" if needs_pair(task) else "--text"
    if needs_pair(task) and pair is None:
        where += " (give the claim with --text and the article or headline with --pair)"
    model_input(task, text, pair, where)
    return [Example(id="text-1", text=text, text_pair=pair)]


def examples_from_stream(task: str, stream, name: str = "<stdin>") -> list[Example]:
    """Standard input: one article per non-empty line (stance: claim<TAB>text per line).

    The stream is read as bytes (a text stream's `.buffer`) and decoded strictly, whatever the
    locale: under a C locale Python would let undecodable bytes through as surrogates.
    """
    raw = getattr(stream, "buffer", stream).read()
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise KhabarError(f"{name}: not valid UTF-8; re-encode the input as UTF-8") from None
    examples = []
    for number, line in enumerate(decode_lines(raw, name), 1):
        if not line.strip():
            continue
        if needs_pair(task):
            claim, tab, text = line.partition("\t")
            if not tab or not claim.strip() or not text.strip():
                raise KhabarError(f"{name}: line {number}: a stance model needs 'claim<TAB>text' on each line")
            model_input(task, claim, text, f"{name}: line {number}")
            examples.append(Example(id=f"line-{number}", text=claim, text_pair=text))
        else:
            model_input(task, line, None, f"{name}: line {number}")
            examples.append(Example(id=f"line-{number}", text=line))
    if not examples:
        raise KhabarError(f"{name}: no text to label; pipe one article per line")
    return examples


def parse_labels(text: str | None, what: str = "--labels") -> list[str] | None:
    """`A,B,C` -> ["A", "B", "C"] (None for None); blanks and repeats dropped."""
    if text is None:
        return None
    out = []
    for item in (part.strip() for part in text.split(",")):
        if item and item not in out:
            out.append(item)
    if not out:
        raise KhabarError(f"{what} {text!r}: expected label names separated by commas, e.g. {what} Sports,Finance")
    return out
