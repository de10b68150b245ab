"""The one YAML reader for configs, `--set` values and a run's config.yaml: bounded and JSON-only.

Why not `yaml.safe_load`: it is safe from code execution but not from size. Aliases let a few
hundred bytes expand to billions of nodes ("billion laughs"), a recursive alias builds a list that
contains itself, deep nesting overflows the stack, and YAML 1.1 gives values no config can use
(dates, sets, binary) or reads `1e-3` as text. Here the document is composed into its node graph
first (aliases are shared there, not copied), measured and checked, and only then built:

- at most `MAX_NODES` nodes once every alias is expanded, and at most `MAX_DEPTH` levels;
- no recursive alias;
- only JSON values: text, whole numbers within 64 bits, finite numbers, true/false, null, lists
  and mappings; a date, a set or binary data is refused naming its key, with the fix;
- numbers as YAML 1.2 reads them: `1e-3` and `5E+2` are numbers.

Each refusal is one `KhabarError` line naming the file (or flag) and the dotted key.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import yaml

from .errors import KhabarError

MAX_NODES = 100_000  # a config has hundreds; a tune space with long choice lists, thousands
MAX_DEPTH = 32  # a config nests 3-5 levels; a tune space's choices of lists, a few more
MAX_INT = 2**63 - 1  # what numpy, scikit-learn and torch can hold

MAX_CHARS = 1_000_000
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_TAG = "tag:yaml.org,2002:"
_PLAIN = {_TAG + name for name in ("str", "int", "float", "bool", "null", "seq", "map", "merge")}
_WHAT = {"timestamp": "a date", "set": "a set", "binary": "binary data", "omap": "an ordered map",
         "pairs": "a list of pairs"}


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with YAML 1.2's numbers (`1e-3` is a float, not text)."""


BoundedLoader.yaml_implicit_resolvers = {key: list(value) for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()}
BoundedLoader.add_implicit_resolver(_TAG + "float", re.compile(r"^[-+]?[0-9][0-9_]*(\.[0-9_]*)?[eE][-+]?[0-9]+$"),
                                    list("-+0123456789"))


def load(stream, name: str) -> Any:
    """The YAML document in `stream` (text or a file) as plain data, or one line naming `name`,
    the line and the key. Syntax errors are raised as `yaml.YAMLError` for the caller to place."""
    text = stream.read() if hasattr(stream, "read") else stream
    if len(text) > MAX_CHARS:
        raise KhabarError(f"{name}: {len(text):,} characters; a config is at most {MAX_CHARS:,}: keep data out of it")
    if flow_depth(text) > MAX_DEPTH:  # before parsing: PyYAML takes quadratic time on deep [[[...]]]
        raise KhabarError(f"{name}: nested too deeply (more than {MAX_DEPTH} levels of [ or {{); flatten the file")
    loader = BoundedLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise KhabarError(f"{name}: nested too deeply (more than {MAX_DEPTH} levels); flatten the file") from None
        if node is None:
            return None
        check(node, name, loader)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def flow_depth(text: str) -> int:
    """The deepest nesting of [ and { outside quoted text: an upper bound of what the parser will
    see (a bracket in a comment or a plain word counts too; no config has 32 of them in a row)."""
    brackets = _NOT_BRACKET.sub("", _QUOTED.sub("", text))
    return max(itertools.accumulate(1 if ch in "[{" else -1 for ch in brackets), default=0)


def _at(key: str) -> str:
    """The prefix naming where in the config a message points ("model.C: "), empty at the top."""
    return f"{key}: " if key else ""


def _pair_key(key: str, k: yaml.Node) -> str:
    """The dotted path of a mapping entry under `key`; "?" for a key that is not plain text."""
    label = k.value if isinstance(k, yaml.ScalarNode) else "?"
    return f"{key}.{label}" if key else str(label)


def _refuse(name: str, node: yaml.Node, key: str) -> None:
    """Raise for a node whose tag (a Python object, a timestamp, a set...) no config holds."""
    tag = node.tag[len(_TAG):] if node.tag.startswith(_TAG) else node.tag
    what = _WHAT.get(tag, f"a {tag!r} value")
    shown = f" ({node.value[:30]})" if isinstance(node, yaml.ScalarNode) else ""
    raise KhabarError(f"{name}: {_at(key)}{what}{shown} is not a value a config can hold; quote it "
                      "to make it text, or write a number, list or mapping")


def check(root: yaml.Node, name: str, constructor: yaml.constructor.SafeConstructor) -> None:
    """Refuse, before anything is built, a graph too big or deep once expanded, a recursive alias,
    or a value that is not JSON; sizes are memoized per node, so a bomb is measured, not expanded."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes when expanded, depth)
    open_nodes: set[int] = set()

    def visit(node: yaml.Node, key: str) -> tuple[int, int]:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in open_nodes:
            raise KhabarError(f"{name}: {_at(key)}an alias refers to a value that contains it (a "
                              "recursive alias); write the value out")
        if isinstance(node, yaml.ScalarNode):
            check_scalar(node, key)
            sizes[id(node)] = (1, 1)
            return sizes[id(node)]
        if node.tag not in _PLAIN:
            _refuse(name, node, key)
        open_nodes.add(id(node))
        count, depth = 1, 0
        children = ([(f"{key}[{i}]", child) for i, child in enumerate(node.value)] if isinstance(node, yaml.SequenceNode)
                    else [(_pair_key(key, k), item) for k, v in node.value for item in (k, v)])
        for child_key, child in children:
            n, d = visit(child, child_key)
            count, depth = count + n, max(depth, d)
            if count > MAX_NODES:
                raise KhabarError(f"{name}: {_at(key)}expands to more than {MAX_NODES:,} values (aliases "
                                  "counted once per use); a config is small: write what you mean without alias chains")
        open_nodes.discard(id(node))
        if depth + 1 > MAX_DEPTH:
            raise KhabarError(f"{name}: {_at(key)}nested more than {MAX_DEPTH} levels deep; flatten it")
        sizes[id(node)] = (count, depth + 1)
        return sizes[id(node)]

    def check_scalar(node: yaml.ScalarNode, key: str) -> None:
        if node.tag not in _PLAIN:
            _refuse(name, node, key)
        if node.tag == _TAG + "float":
            value = constructor.construct_yaml_float(node)
            if not math.isfinite(value):
                raise KhabarError(f"{name}: {_at(key)}{node.value} is not a finite number; give a number "
                                  "such as 0.5 or 1e-3")
        elif node.tag == _TAG + "int":
            value = constructor.construct_yaml_int(node)
            if abs(value) > MAX_INT:
                raise KhabarError(f"{name}: {_at(key)}{node.value[:30]} is too large (at most "
                                  f"{MAX_INT:,}); give a smaller number")

    visit(root, "")  # recursion is bounded: composing deeper documents already failed
