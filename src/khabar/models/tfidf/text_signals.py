"""Word-level signals of Arabic news text for the stance features: sentences, tokens, light stems,
negation and refutation cues, numbers, dates.

Pure functions of a string or a word. Per-word answers (stem, cue kind, date kind) are cached in
bounded dicts, so an article of a thousand words costs a thousand dict look-ups, not a thousand
prefix scans. Words are matched after normalization (alef/teh-marbuta/maqsura unified in the
`standard` preset); every list below holds both spellings, so the `light` preset matches too.
"""

from __future__ import annotations

import re

# Sentence ends, and the Arabic comma/semicolon before a space: clause-sized "sentences".
SENTENCE_SPLIT = re.compile(r"[.!?؟\n]+|[،؛]\s")
TOKEN = re.compile(r"\w+")
NUMBER = re.compile(r"\d+")
#: a "sentence" longer than this (no punctuation in a long page) is cut at spaces into pieces this long
MAX_SENTENCE_CHARS = 400

# Arabic attaches articles and conjunctions to the word: "بالشائعة" must still count as a cue.
PREFIXES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل")
SUFFIXES = ("ات", "ون", "ين", "ها", "هم", "ه", "ي", "ا")


def spellings(words: str) -> frozenset:
    """Each word as written and with alef, teh marbuta and alef maqsura unified as `standard` does."""
    table = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})
    return frozenset(w for word in words.split() for w in (word, word.translate(table)))


NEGATION_CUES = spellings("لا لم لن ليس ليست ما غير بدون دون عدم لسنا ليسوا لايوجد")
REFUTATION_CUES = spellings(
    "نفي نفت نفى ينفي تنفي ينفى تكذيب كذب كذبت يكذب تكذب شائعة شائعات إشاعة إشاعات مزاعم مزعوم "
    "مضلل مضللة مفبرك مفبركة زائف زائفة خاطئ خاطئة صحيح صحة حقيقة تصحيح ادعاء ادعاءات يدعي أساس "
    "رفض رفضت يرفض تراجع تراجعت إلغاء ألغت استبعد استبعدت مستبعد وهمي وهمية ينكر أنكر"
)
# Months (Gregorian as in Egypt and the Gulf, as in the Maghreb, and Syriac as in the Levant and
# Iraq) and weekdays: the date words a claim and an article can agree or disagree on.
MONTHS = spellings(
    "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر "
    "جانفي فيفري أفريل ماي جوان جويلية أوت "
    "كانون شباط آذار نيسان أيار حزيران تموز أيلول تشرين"  # not آب: unified it is اب, "father"
)
WEEKDAYS = spellings("السبت الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة")
YEAR = re.compile(r"(?:19|20)\d\d")

NEGATION, REFUTATION = 1, 2
_CACHE_SIZE = 500_000
_stems: dict = {}
_cues: dict = {}
_dates: dict = {}


def tokens(text: str) -> list[str]:
    """The word tokens of `text`, lower-cased: the same tokens as the TF-IDF's `(?u)\\b\\w+\\b`."""
    return TOKEN.findall(text.lower())


def sentences(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[str]:
    """`text` cut at sentence ends (and at "، " / "؛ "), empty pieces dropped; a piece longer
    than `max_chars` is cut again at spaces. No word is cut: the tokens of the sentences, in
    order, are the tokens of the text."""
    out = []
    for piece in SENTENCE_SPLIT.split(text):
        if not piece.strip():
            continue
        while len(piece) > max_chars:
            cut = piece.rfind(" ", 0, max_chars)
            if cut <= 0:
                cut = piece.find(" ", max_chars)
                if cut < 0:
                    break
            head, piece = piece[:cut], piece[cut + 1:]
            if head.strip():
                out.append(head)
        if piece.strip():
            out.append(piece)
    return out


def _light_stem(word: str) -> str:
    for prefix in PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix):]
            break
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word


def light_stem(word: str) -> str:
    """Strip one clitic prefix and one suffix (keeping 3 letters): "والاسعار" and "اسعار" meet."""
    stem = _stems.get(word)
    if stem is None:
        if len(_stems) >= _CACHE_SIZE:
            _stems.clear()
        stem = _stems[word] = _light_stem(word)
    return stem


def _match(word: str, words: frozenset) -> bool:
    return word in words or any(word.startswith(p) and word[len(p):] in words for p in PREFIXES)


def cue_kind(word: str) -> int:
    """NEGATION | REFUTATION bits of a word, with any one clitic prefix allowed ("بالشائعة")."""
    kind = _cues.get(word)
    if kind is None:
        if len(_cues) >= _CACHE_SIZE:
            _cues.clear()
        kind = _cues[word] = (NEGATION if _match(word, NEGATION_CUES) else 0) | (
            REFUTATION if _match(word, REFUTATION_CUES) else 0)
    return kind


def cue_counts(words: list[str]) -> tuple[int, int]:
    """(negation cues, refutation cues) among `words`."""
    negation = refutation = 0
    for word in words:
        kind = _cues.get(word)
        if kind is None:
            kind = cue_kind(word)
        if kind:
            negation += kind & NEGATION
            refutation += kind >> 1
    return negation, refutation


def date_word(word: str) -> str | None:
    """The date a word names, as a canonical string (a month or weekday without its prefix, a
    year 19xx/20xx), or None."""
    if word in _dates:
        return _dates[word]
    if len(_dates) >= _CACHE_SIZE:
        _dates.clear()
    found = None
    if YEAR.fullmatch(word):
        found = word
    else:
        for cut in ("",) + PREFIXES:
            if word.startswith(cut):
                rest = word[len(cut):]
                if rest in MONTHS or rest in WEEKDAYS:
                    found = rest
                    break
    _dates[word] = found
    return found


def is_number(word: str) -> bool:
    return NUMBER.fullmatch(word) is not None
