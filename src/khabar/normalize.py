"""Arabic normalization: small pure `str -> str` steps, composed into named presets.

Arabic news text writes the same word in many ways: with or without diacritics, with tatweel
(ـ) stretching a letter for layout, with أ إ آ or a bare ا, with ة or ه at the end, with ى or
ي, with Eastern Arabic digits (١٢٣) or ASCII ones. A classifier that counts words or subwords
sees each spelling as a different feature, so normalization folds them together first.

Each step below is one function whose docstring says what it changes and why. `STEPS` lists
them in the canonical order they always run in; `PRESETS` names useful sets of them:

- `none`: no change.
- `light`: lossless for meaning: NFKC, invisible characters, diacritics, tatweel, whitespace.
- `standard`: light plus letter unification (alef, alef maqsura, teh marbuta), digits to ASCII,
  URL / e-mail / @mention placeholders and capped letter repetition. The default.
- `arabert`: what `ArabertPreprocessor("bert-base-arabertv02").preprocess` does (arabert 1.0.1,
  no Farasa), so a fine-tuned AraBERT v02 model sees text prepared as in its pre-training.

The module itself is callable: `khabar.normalize(text, preset="standard")` is `normalize_text`
(the public API's `khabar.normalize`, which must stay this module for `from khabar.normalize
import ...` to keep working).

`build_normalizer(preset, steps)` turns a preset plus single steps switched on or off into one
fast function: the character-mapping steps are fused into one table, and regex steps are skipped
when a cheap substring test shows they cannot match. Every preset, and every combination of the
steps not named arabert_*, is idempotent: normalizing twice gives the same text as normalizing
once. The arabert preset differs from the reference only where the reference itself is not
idempotent (see _RERUN_IF below).
"""

from __future__ import annotations

import re
import sys
import types
import unicodedata
from functools import lru_cache
from collections.abc import Callable, Iterable, Mapping  # not typing: start-up (bench/startup.py)

from .errors import KhabarError

__all__ = ["STEPS", "PRESETS", "NormalizeConfig", "build_normalizer", "check_normalize_options", "normalize_text",
           "LINK", "EMAIL", "USER"]

# Placeholder tokens: the ones AraBERT was pre-trained with (and has in its vocabulary), so
# `standard` and `arabert` produce the same tokens for URLs, e-mails and mentions.
LINK, EMAIL, USER = "[رابط]", "[بريد]", "[مستخدم]"


class _Lazy:
    """A regular expression compiled on first use. Why: compiling this module's patterns (large
    Arabic character classes) was most of what `khabar normalize` spent before reading a line,
    and a preset uses a few of them. After the first use its methods are plain attributes
    holding the compiled pattern's, so a hot loop pays nothing more than for a compiled one."""

    METHODS = ("sub", "subn", "search", "match", "fullmatch", "finditer", "findall", "split")

    def __init__(self, pattern: str, flags: int = 0):
        self.pattern, self.flags = pattern, flags

    def __getattr__(self, name: str):
        if name not in self.METHODS:
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self.flags)
        for method in self.METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(self, name)


def _chars(*ranges: tuple[int, int] | int) -> str:
    out = []
    for r in ranges:
        lo, hi = (r, r) if isinstance(r, int) else r
        out.extend(chr(c) for c in range(lo, hi + 1))
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Character-mapping steps. Each is a table {character: replacement}; `build_normalizer` fuses
# consecutive ones into a single table applied in one go.

_DIACRITICS = _chars(
    (0x0610, 0x061A),  # Quranic honorifics and small high letters (ARABIC SIGN SALLALLAHOU ...)
    (0x064B, 0x065F),  # harakat, tanween, shadda, sukun, maddah/hamza above and below, ...
    0x0670,            # superscript (dagger) alef, as in هٰذا
    (0x06D6, 0x06ED),  # Quranic annotation: pause marks, small letters, end of ayah, ۞ ۩
    (0x08D3, 0x08E1), (0x08E3, 0x08FF),  # Arabic Extended-A combining marks
)
_TABLES: dict[str, dict[str, str]] = {
    "diacritics": dict.fromkeys(_DIACRITICS, ""),
    "arabert_tashkeel": dict.fromkeys(_chars((0x064B, 0x0652)), ""),
    "tatweel": {"\u0640": ""},
    "alef": dict.fromkeys("أإآٱ", "ا"),
    "alef_maqsura": {"ى": "ي"},
    "teh_marbuta": {"ة": "ه"},
    "hamza": dict.fromkeys("ؤئ", "ء"),
    "digits": {**dict(zip("٠١٢٣٤٥٦٧٨٩", "0123456789")), **dict(zip("۰۱۲۳۴۵۶۷۸۹", "0123456789"))},
    # zero-width joiners and non-joiners, soft hyphen, bidirectional marks and embeddings,
    # word joiner, byte order mark: removed; a zero-width space separates words, so it becomes one
    "invisible": {**dict.fromkeys(_chars(0x200C, 0x200D, 0x00AD, 0x200E, 0x200F, 0x061C, (0x202A, 0x202E),
                                         (0x2066, 0x2069), 0x2060, 0xFEFF), ""), "\u200b": " "},
}


def _table_function(table: Mapping[str, str]) -> Callable[[str], str]:
    """A function applying a character table: the characters mapped to '' are deleted by one
    regex character class, each other character is looked for and replaced only if present.
    On Arabic news this runs at about 200 MB/s whatever the size of the table; `str.translate`
    runs at about 32 MB/s on non-ASCII text, since it does a dictionary lookup for every
    character. The table must be closed (no replacement contains a key), so the order of the
    replacements does not matter."""
    assert not any(c in table for v in table.values() for c in v), "table is not closed"
    deleted = "".join(k for k, v in table.items() if not v)
    deleter = _Lazy(f"[{re.escape(deleted)}]") if deleted else None  # no "+": 2x slower
    pairs = tuple((k, v) for k, v in table.items() if v)

    def apply(text: str) -> str:
        if text.isascii():  # no table has an ASCII key
            return text
        if deleter is not None:
            text = deleter.sub("", text)
        for old, new in pairs:
            if old in text:
                text = text.replace(old, new)
        return text
    return apply


def _table_step(name: str, doc: str) -> Callable[[str], str]:
    apply = _table_function(_TABLES[name])

    def step(text: str) -> str:
        return apply(text)

    step.__name__ = step.__qualname__ = name
    step.__doc__ = doc
    return step


invisible = _table_step("invisible", """Remove characters that do not show: zero-width (non-)joiners,
    soft hyphens, bidirectional marks and embeddings (U+200E/F, U+061C, U+202A-202E, U+2066-2069),
    word joiners and byte order marks; a zero-width space (U+200B) becomes a space. Pasted and
    web text carries them inside words (a joiner between two letters of كلمة), which would make one
    word two features. Not in the arabert preset, which matches AraBERT's own preprocessing.""")
diacritics = _table_step("diacritics", """Remove Arabic diacritics: harakat, tanween, shadda, sukun,
    dagger alef (U+0670), Quranic marks (U+0610-061A, U+06D6-06ED) and Extended-A marks.
    News is mostly written without them; where they appear (a quote, a verse, a name) they would
    split one word into many spellings.""")
arabert_tashkeel = _table_step("arabert_tashkeel", """Remove only the eight marks that
    pyarabic.strip_tashkeel removes (U+064B-0652: tanween, fatha, damma, kasra, shadda, sukun),
    as AraBERT's preprocessing does; other marks are left for `arabert_tokens` to handle as
    the reference does.""")
tatweel = _table_step("tatweel", """Remove tatweel (ـ, U+0640), the kashida used to stretch words
    for layout or emphasis (الـــعـــرب); it carries no meaning.""")
alef = _table_step("alef", """Unify alef forms أ إ آ ٱ to bare ا. Hamza and madda on alef are
    often omitted or misplaced in news text (اسرائيل / إسرائيل), so one spelling is kept.""")
alef_maqsura = _table_step("alef_maqsura", """Write alef maqsura ى as yeh ي. Egyptian and
    other writers use them interchangeably at the end of words (على / علي).""")
teh_marbuta = _table_step("teh_marbuta", """Write teh marbuta ة as heh ه, the other common
    final-letter confusion (مدرسة / مدرسه).""")
hamza = _table_step("hamza", """Write hamza on a carrier (ؤ ئ) as bare hamza ء. Loses more than
    it gains on edited news (it merges distinct words), so no preset turns it on.""")
digits = _table_step("digits", """Write Eastern Arabic (٠-٩) and Persian (۰-۹) digits as ASCII
    0-9, keeping the value: ٢٠٢٤ and 2024 become one token.""")


# ---------------------------------------------------------------------------------------------
# Other general steps

def nfkc(text: str) -> str:
    """Unicode NFKC: fold presentation forms and ligatures (ﻻ U+FEFB -> لا, ﷲ -> الله),
    full-width and other compatibility characters, and compose decomposed letters (ا + U+0654
    -> أ), so that one letter has one code point sequence whatever the source font or
    keyboard produced."""
    return unicodedata.normalize("NFKC", text)


_HTML_TAG = _Lazy(r"<!--.*?-->|<[/!?]?[A-Za-z][^<>]*>", re.S)


def html(text: str) -> str:
    """Unescape HTML entities (&amp; &quot; &#1575;, repeatedly for double-escaped text) and
    replace HTML tags and comments with a space. Scraped articles carry both; the tag pattern
    needs a letter after '<' so that 'a < b' in running text is kept."""
    while "&" in text:
        from html import unescape

        unescaped = unescape(text)
        if unescaped == text:
            break
        text = unescaped
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    return text


_URL = _Lazy(r"(?:\b(?:https?|ftp)://|\b(?:www|WWW)\.)[^\s<>\"'«»]*[^\s<>\"'«».,:;!?)\]}،؛؟…]",
                  re.I)
_EMAIL_DOMAIN = _Lazy(r"@[\w-]+(?:\.[\w-]+)+")
_MENTION = _Lazy(r"(?<![\w@])@\w+(?:@\w+)*")  # a chain @a@b is two mentions


def urls(text: str) -> str:
    """Replace URLs (scheme:// or www.), e-mail addresses and @mentions with the placeholder
    tokens [رابط] [بريد] [مستخدم]. Each address is unique, so as words they are noise; that one
    was there is a useful signal. Bare domains (example.com) are kept as text."""
    if "://" in text or "www." in text or "WWW." in text:
        text = _URL.sub(f" {LINK} ", text)
    if "@" in text:
        text = _emails(text)
        text = _MENTION.sub(lambda m: f" {USER} " * m.group().count("@"), text)
    return text


def _emails(text: str) -> str:
    """Replace local@domain.tld addresses. The local part is read leftwards from each '@' over
    word characters and . + - (not past the previous address, leading dots left out). A regex
    would need a look-behind to stay linear on long words, and a look-behind makes the second
    of two adjacent addresses match only on a second run."""
    parts, last = [], 0
    for m in _EMAIL_DOMAIN.finditer(text):
        start = at = m.start()
        while start > last and (text[start - 1].isalnum() or text[start - 1] in "_.+-"):
            start -= 1
        while start < at and text[start] == ".":
            start += 1
        if start < at:
            parts += (text[last:start], f" {EMAIL} ")
            last = m.end()
    return "".join(parts) + text[last:] if parts else text


_ARABIC_LETTERS = _chars((0x0621, 0x063A), (0x0641, 0x064A), (0x066E, 0x066F), (0x0671, 0x06D3),
                         0x06D5, (0x06EE, 0x06EF), (0x06FA, 0x06FC), 0x06FF)
_ANY_TRIPLE = _Lazy(r"(.)\1\1", re.S)
_LETTER_RUN = _Lazy(f"([{_ARABIC_LETTERS}])\\1\\1+")


def repeats(text: str) -> str:
    """Cap a run of three or more of the same Arabic letter at two (ههههه -> هه, جمييييل ->
    جمييل): elongation for emphasis. Two are kept because some words double a letter. Digits,
    Latin letters, punctuation and emoji are left alone (1000 and 'www' stay)."""
    if _ANY_TRIPLE.search(text):  # about twice as fast as the letter pattern; most texts stop here
        text = _LETTER_RUN.sub(r"\1\1", text)
    return text


_PUNCT = _Lazy(r"\s*([،؛؟«»٪۔])\s*")


def punctuation(text: str) -> str:
    """Put one space on each side of Arabic punctuation (، ؛ ؟ « » ٪ ۔) so that it does not stick
    to the neighbouring word (قال، -> قال ،). The Arabic decimal and thousands separators ٫ ٬
    are left alone, since they sit inside numbers."""
    return _PUNCT.sub(r" \1 ", text)


def whitespace(text: str) -> str:
    """Collapse every run of Unicode whitespace (tabs, newlines, no-break spaces, ...) to one
    space and strip both ends, so that token boundaries do not depend on layout."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # fast path: a printable string's only whitespace is U+0020
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# AraBERT v02 preprocessing (arabert 1.0.1, ArabertPreprocessor("bert-base-arabertv02"), which
# runs `_preprocess_v2` with keep_emojis=False, map_hindi_numbers_to_arabic=True,
# replace_slash_with_dash=True and no Farasa). Its stages, in order: html.unescape,
# strip_tashkeel, strip_tatweel (steps arabert_unescape, arabert_tashkeel, tatweel); URL, e-mail
# and mention placeholders and HTML markup removal (arabert_markup); digits, repetition,
# spacing, slash and rejected characters (arabert_tokens); whitespace (whitespace).
# The patterns are the reference's, rewritten only where the output stays the same, to make
# every pattern linear-time (the reference takes minutes on some 100 kB strings) and faster:
#  - its URL pattern r"@(https?|ftp)://(-\.)?([^\s/?\.#-]+\.?)+(/[^\s]*)?$@iS" is left out: it
#    can never match ('@' after end of text) and it backtracks exponentially;
#  - patterns that can only match from the start of a run of their first character class, or
#    right where their previous match ended, get a look-behind saying so (e-mails, '.com',
#    digits next to letters): without it a long run is rescanned from each of its characters;
#  - each pattern runs only when a substring it needs is present (for the first URL pattern,
#    a character of its class, a dot and two lower-case letters; for the repetition pattern,
#    any character three times);
#  - whitespace is not spaced out (the reference puts spaces around every space; all of them
#    are collapsed at the end), and x{2,} is written xx+, which is about twice as fast.


def _contains(needle: str) -> Callable[[str], bool]:
    return lambda text: needle in text


_AB_DOMAIN = _Lazy(r"[-a-zA-Z0-9@:%._+~#=]\.[a-z]{2}")
_AB_URLS = (  # (test for what the pattern needs, pattern), in the reference's order
    (lambda text: _AB_DOMAIN.search(text),
     r"(http(s)?:\/\/.)?(www\.)?[-a-zA-Z0-9@:%._\+~#=]{2,256}\.[a-z]{2,6}\b([-a-zA-Z0-9@:%_\+.~#?&//=]*)"),
    (_contains("http"), r"http[s]?://[a-zA-Z0-9_\-./~\?=%&]+"),
    (_contains("www"), r"www[a-zA-Z0-9_\-?=%&/.~]+"),
    (_contains(".com"), r"(?:(?<![a-zA-Z])|(?<=\.com))[a-zA-Z]+\.com"),
    (_contains("http"), r"(?=http)[^\s]+"),
    (_contains("www"), r"(?=www)[^\s]+"),
    (_contains("://"), r"://"),
)
_AB_URLS = tuple((needs, _Lazy(p)) for needs, p in _AB_URLS)
_AB_EMAILS = (_Lazy(r"(?<![\w-])[\w-]+@([\w-]+\.)+[\w-]+"), _Lazy(r"(?<!\S)\S+@\S+"))
_AB_MENTION = _Lazy(r"@[\w\d]+")
_AB_TAG = _Lazy(r"</?[^>]+>")
_AB_HINDI = tuple(zip("٠١٢٣٤٥٦٧٨٩", "0123456789"))  # Persian ۰-۹ are not mapped: see below
_AB_REPEAT = _Lazy(r"(\D)\1\1+", re.S)
_AB_SPACE = _Lazy("([^0-9\u0621-\u063A\u0641-\u064A\u0660-\u0669a-zA-Z\\[\\]\\s])")
_AB_LETTERS = "\u0621-\u063A\u0641-\u064A\u0660-\u066C"
# (\d+)(L+) and (L+)(\d+), with the look-behind placed after the first character, where it
# says the same (the run starts here) and lets the regex engine skip ahead on that character.
_AB_NUM_WORD = _Lazy(f"(\\d(?<!\\d\\d)\\d*)([{_AB_LETTERS}]+)")
_AB_WORD_NUM = _Lazy(f"([{_AB_LETTERS}](?<![{_AB_LETTERS}][{_AB_LETTERS}])[{_AB_LETTERS}]*)(\\d+)")
_AB_LETTER_DIGIT = _Lazy(f"\\d(?<=[{_AB_LETTERS}]\\d)")  # what _AB_WORD_NUM needs, found fast
_AB_REJECTED = _Lazy(
    r"[^0-9\u0621-\u063A\u0640-\u066C\u0671-\u0674a-zA-Z\[\]!\"#\$%\'\(\)\*\+,\.:;\-<=·>?@\[\\\]\^_ـ`{\|}~—٪’،؟`୍“؛”ۚ»؛\s+«–…‘]"
)


def arabert_unescape(text: str) -> str:
    """Unescape HTML entities once (html.unescape), AraBERT's first stage. Once only, as the
    reference: '&amp;lt;' becomes '&lt;', whose '&' arabert_tokens then drops."""
    from html import unescape

    return unescape(text)


def arabert_markup(text: str) -> str:
    """AraBERT's URL, e-mail and mention placeholders and HTML markup removal, with its
    patterns in its order: URLs (including bare domains like site.com and anything from 'http'
    or 'www' to the next space) -> ' [رابط] ', e-mails -> ' [بريد] ', '@word' -> ' [مستخدم] ',
    then '<br />' and anything from '<' to the next '>' -> ' '."""
    for needs, pattern in _AB_URLS:
        if needs(text):
            text = pattern.sub(f" {LINK} ", text)
    if "@" in text:
        for pattern in _AB_EMAILS:
            text = pattern.sub(f" {EMAIL} ", text)
        text = _AB_MENTION.sub(f" {USER} ", text)
    if "<" in text:
        text = text.replace("<br />", " ")
        end = text.rfind(">") + 1  # every match ends with '>': none lies past the last one
        text = _AB_TAG.sub(" ", text[:end]) + text[end:]
    return text


def arabert_tokens(text: str) -> str:
    """AraBERT's character stage: Eastern Arabic digits ٠-٩ -> 0-9; any run of 3+ of the same
    non-digit character -> 2; a space on each side of every character that is not an ASCII
    digit, Arabic letter, ASCII letter or [ ]; a space between digits and Arabic letters;
    '/' -> '-' ('/' is not in AraBERT's vocabulary); every character outside AraBERT's
    character set -> space. So emoji, Persian digits ۰-۹, presentation forms (ﻻ) and the
    dagger alef are dropped, and other marks left by strip_tashkeel (U+0653-065F) become
    tokens of their own, exactly as in the reference. Not idempotent on its own (it adds
    spaces around spaces): it is meant to run in the arabert preset, before whitespace."""
    for old, new in _AB_HINDI:
        if old in text:
            text = text.replace(old, new)
    if _ANY_TRIPLE.search(text):
        text = _AB_REPEAT.sub(r"\1\1", text)
    text = _AB_SPACE.sub(r" \1 ", text)
    text = _AB_NUM_WORD.sub(r" \1 \2 ", text)
    if _AB_LETTER_DIGIT.search(text):
        text = _AB_WORD_NUM.sub(r" \1 \2 ", text)
    text = text.replace("/", "-")
    return _AB_REJECTED.sub(" ", text)


# ---------------------------------------------------------------------------------------------
# Registry and composition

STEPS: dict[str, Callable[[str], str]] = {
    "html": html,
    "arabert_unescape": arabert_unescape,
    "nfkc": nfkc,
    "invisible": invisible,
    "diacritics": diacritics,
    "arabert_tashkeel": arabert_tashkeel,
    "tatweel": tatweel,
    "alef": alef,
    "alef_maqsura": alef_maqsura,
    "teh_marbuta": teh_marbuta,
    "hamza": hamza,
    "digits": digits,
    "urls": urls,
    "arabert_markup": arabert_markup,
    "repeats": repeats,
    "punctuation": punctuation,
    "arabert_tokens": arabert_tokens,
    "whitespace": whitespace,
}

PRESETS: dict[str, tuple[str, ...]] = {
    "none": (),
    "light": ("nfkc", "invisible", "diacritics", "tatweel", "whitespace"),
    "standard": ("nfkc", "invisible", "diacritics", "tatweel", "alef", "alef_maqsura", "teh_marbuta", "digits",
                 "urls", "repeats", "whitespace"),
    "arabert": ("arabert_unescape", "arabert_tashkeel", "tatweel", "arabert_markup",
                "arabert_tokens", "whitespace"),
}


def check_normalize_options(preset: str, steps: Mapping[str, bool] | None, where: str) -> None:
    """Raise KhabarError naming `where` (e.g. 'configs/x.yaml: normalize') if the preset or a
    step name is unknown or a step is not switched with true/false."""
    if not isinstance(preset, str) or preset not in PRESETS:
        raise KhabarError(f"{where}.preset: unknown preset {preset!r}; valid presets: {', '.join(PRESETS)}")
    for name, value in (steps or {}).items():
        if name not in STEPS:
            raise KhabarError(f"{where}.steps.{name}: unknown step; valid steps: {', '.join(STEPS)}")
        if not isinstance(value, bool):
            raise KhabarError(f"{where}.steps.{name}: expected true or false (on/off), got {value!r}")


def parse_steps(items: Iterable[str], what: str = "--step") -> dict[str, bool]:
    """`["hamza=on", "urls=off"]` (command-line switches) -> {"hamza": True, "urls": False}; the
    names are checked by `build_normalizer`."""
    steps = {}
    for item in items:
        name, _, value = item.partition("=")
        if value not in ("on", "off"):
            raise KhabarError(f"{what} {item!r}: expected NAME=on or NAME=off, for example {what} hamza=on")
        steps[name] = value == "on"
    return steps


def build_normalizer(preset: str, steps: Mapping[str, bool] | None = None,
                     *, where: str = "normalize") -> Callable[[str], str]:
    """The function that runs `preset`'s steps, with single steps switched on (True) or off
    (False) by `steps`, always in the canonical order of STEPS. Raises KhabarError for an
    unknown preset or step, its message starting with `where`. The result is cached and safe
    to share between threads."""
    check_normalize_options(preset, steps, where)
    chosen = set(PRESETS[preset])
    for name, on in (steps or {}).items():
        (chosen.add if on else chosen.discard)(name)
    return _compose(tuple(name for name in STEPS if name in chosen))


def _fuse(names: Iterable[str]) -> Callable[[str], str]:
    """One function doing what the named character tables do one after another."""
    fused: dict[str, str] = {}
    for name in names:
        table = _TABLES[name]
        fused = {k: "".join(table.get(c, c) for c in v) for k, v in fused.items()}
        for k, v in table.items():
            fused.setdefault(k, v)
    return _table_function(fused)


# Markup steps look at text that later steps still change, so a single run is not always
# stable. html: removing a tatweel or a mark can join '&amـp;' into an entity. arabert_markup
# (the reference's own behaviour): capping 'htttp' makes 'http', and an empty '<>' survives
# the tag pattern but becomes '< >', which a second run deletes; the reference is not
# idempotent on these. A pipeline with such a step runs again while its output still contains
# what the step acts on and a run still changes it. For arabert this is exactly running the
# reference twice, and it changes the output only where the reference's own output is not
# stable: on no article of the SANAD AlKhaleej corpus (bench/normalize.py --check-arabert).
_RERUN_IF = {"html": ("&", "<"), "arabert_markup": ("http", "<")}


@lru_cache(maxsize=None)
def _compose(names: tuple[str, ...]) -> Callable[[str], str]:
    funcs: list[Callable[[str], str]] = []
    i = 0
    while i < len(names):
        j = i
        while j < len(names) and names[j] in _TABLES:
            j += 1
        if j > i:  # a run of character-mapping steps: one fused table
            apply = _fuse(names[i:j])
            if funcs and funcs[-1] is nfkc:
                funcs[-1] = _nfkc_then(apply)
            else:
                funcs.append(apply)
            i = j
        else:
            funcs.append(STEPS[names[i]])
            i += 1

    if not funcs:
        return _identity
    pipeline = tuple(funcs)
    rerun_if = tuple({s for name in names for s in _RERUN_IF.get(name, ())})
    if len(pipeline) == 1 and not rerun_if:
        return pipeline[0]

    def run(text: str) -> str:
        for func in pipeline:
            text = func(text)
        return text

    def normalize(text: str) -> str:
        text = run(text)
        for _ in range(3):  # see _RERUN_IF; one more run is all the presets ever need
            if not any(s in text for s in rerun_if):
                break
            again = run(text)
            if again == text:
                break
            text = again
        return text

    normalize.__doc__ = "Normalize Arabic text with steps: " + ", ".join(names)
    return normalize


def _nfkc_then(apply: Callable[[str], str]) -> Callable[[str], str]:
    """NFKC, then the fused table; again if removing characters made the text compose further.
    Removing a mark or a tatweel can unblock a composition (e + U+06D6 + U+0301: the Quranic
    mark blocks e + acute -> é until it is removed), which a second run would otherwise do."""
    def step(text: str) -> str:
        text = apply(unicodedata.normalize("NFKC", text))
        for _ in range(3):
            if text.isascii() or unicodedata.is_normalized("NFKC", text):
                break
            text = apply(unicodedata.normalize("NFKC", text))
        return text
    return step


def _identity(text: str) -> str:
    """The `none` preset: the text unchanged."""
    return text


def normalize_text(text, preset: str = "standard", steps: Mapping[str, bool] | None = None):
    """`text` (a string, or a list of strings) through `preset` with single `steps` switched on
    (True) or off (False), e.g. `normalize_text("أَهْلاً", steps={"hamza": True})`: a string for a
    string, a list for a list. An unknown preset or step is one `KhabarError` line."""
    norm = build_normalizer(preset, steps)
    return norm(text) if isinstance(text, str) else [norm(t) for t in text]


def __getattr__(name: str):
    # NormalizeConfig lives in `normalize_config` (a dataclass: `dataclasses` costs `khabar
    # normalize` a fifth of its start-up); `from khabar.normalize import NormalizeConfig` still works
    if name == "NormalizeConfig":
        from .normalize_config import NormalizeConfig

        return NormalizeConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _CallableModule(types.ModuleType):
    """This module, callable as `normalize_text`: `khabar.normalize` is both the package's
    submodule and the API function `khabar.normalize(text, preset=...)`."""

    def __call__(self, text, preset: str = "standard", steps: Mapping[str, bool] | None = None):
        return normalize_text(text, preset, steps)


sys.modules[__name__].__class__ = _CallableModule
