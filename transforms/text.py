"""Text functions shared by the stages: readable cleaning and matching keys.

Two different jobs, kept apart on purpose:

* ``clean_text`` keeps what a reader sees (letters, diacritics, punctuation)
  and only removes what is invisible or inconsistent: it produces the
  ``text`` column that entity offsets point into.
* ``matching_key`` folds spelling variation away so that two spellings of
  the same words compare equal: later stages (boilerplate, syndication,
  gazetteer) match on it; it is never shown to users.

``token_lines`` splits text into camel-tools' ``simple_word_tokenize`` tokens
with their offsets, for both entity annotators.
"""

import re
import unicodedata

import numpy as np

from camel_tools.utils.charsets import AR_DIAC_CHARSET, EMOJI_ALL_CHARSET, UNICODE_PUNCT_SYMBOL_CHARSET

from transforms.packed import true_runs

# Zero-width characters and bidi controls: invisible, but they break
# matching and tokenisation (and shift camel-tools NER labels, issue 105).
_INVISIBLE_CHARS = (
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
# Each becomes a line break; "\r\n" becomes two, and the blank line between
# them goes with the others (one class is faster than "\r\n?|...").
_LINE_BREAKS = re.compile("[\r\u2028\u2029\x0b\x0c\x85]")
# C0 and C1 controls but tab and line breaks (whitespace, split below)
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK_INVISIBLE_OR_CONTROL = re.compile(
    f"[\r\u2028\u2029\x0b\x0c\x85{_INVISIBLE_CHARS}\x00-\x08\x0e-\x1f\x7f-\x9f]")

_TATWEEL = "\u0640"
# One table does it all: camel-tools' diacritics, tatweel and invisible
# controls removed, letter and digit variants folded.
_FOLD = str.maketrans(
    {
        **{ch: None for ch in AR_DIAC_CHARSET},
        **{ch: None for ch in _INVISIBLE_CHARS},
        "\u0623": "\u0627",  # أ -> ا
        "\u0625": "\u0627",  # إ -> ا
        "\u0622": "\u0627",  # آ -> ا
        "\u0671": "\u0627",  # ٱ -> ا
        "\u0649": "\u064a",  # ى -> ي
        "\u06cc": "\u064a",  # Persian yeh -> ي
        "\u0626": "\u064a",  # ئ -> ي
        "\u0624": "\u0648",  # ؤ -> و
        "\u0629": "\u0647",  # ة -> ه
        "\u06a9": "\u0643",  # Persian kaf -> ك
        _TATWEEL: None,
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
    }
)


_DELETE = np.uint32(0xFFFFFFFF)


def _code_table(lowercase_and_split):
    """Code point -> code point (``_DELETE``: drop it), for every code point.
    Looked up with numpy, a whole text at a time: far faster than
    ``str.translate``. Line breaks always stay."""
    table = np.arange(0x110000, dtype=np.uint32)
    for code in range(0x10000):
        char = chr(code)
        if code in _FOLD:
            target = _FOLD[code]
            table[code] = _DELETE if target is None else (ord(target) if isinstance(target, str) else target)
        elif not lowercase_and_split or char == "\n":
            continue
        elif unicodedata.category(char) == "Mn":
            table[code] = _DELETE
        elif char.isalnum():
            lower = char.lower()
            table[code] = ord(lower) if len(lower) == 1 else code
        else:
            table[code] = ord(" ")
    return table


_FOLD_CODES = _code_table(lowercase_and_split=False)
_KEY_CODES = _code_table(lowercase_and_split=True)


_SPACE, _NEWLINE = np.uint32(ord(" ")), np.uint32(ord("\n"))


def _codes(text, table):
    codes = np.take(table, np.frombuffer(unicodedata.normalize("NFC", text).encode("utf-32-le"), dtype=np.uint32))
    return codes[codes != _DELETE]


def _decode(codes):
    return codes.tobytes().decode("utf-32-le")


def _single_spaced(codes):
    """Runs of spaces made one, none at the start or end of a line."""
    space = codes == _SPACE
    boundary = np.concatenate([[True], (codes[:-1] == _SPACE) | (codes[:-1] == _NEWLINE)])
    before_break = np.concatenate([codes[1:] == _NEWLINE, [True]])
    drop = space & (boundary | before_break)
    kept = codes[~drop]
    # a space left before a line break (from a run ending there) goes too
    while len(kept) and kept[-1] == _SPACE:
        kept = kept[:-1]
    trailing = (kept == _SPACE) & np.concatenate([kept[1:] == _NEWLINE, [False]])
    return kept[~trailing]


ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff]")


def clean_text(text):
    """Readable text: NFC, no invisible controls, one space between words,
    one paragraph per line, no blank lines."""
    if _LINE_BREAK_INVISIBLE_OR_CONTROL.search(text):  # most texts have none: one pass, not three
        text = _LINE_BREAKS.sub("\n", text)
        text = _INVISIBLE.sub("", text)
        text = _CONTROL.sub(" ", text)
    # After the removals: an invisible character between a letter and its
    # mark ("e\u200b\u0301") kept them from composing.
    text = unicodedata.normalize("NFC", text)
    # str.split() splits on the whitespace of regex \s: NBSP and friends too
    return "\n".join(p for p in (" ".join(line.split()) for line in text.split("\n")) if p)


def paragraphs(text):
    """Paragraphs of a cleaned text."""
    return text.split("\n") if text else []


def fold_arabic(text):
    """Diacritics and tatweel removed; alef, yeh, teh marbuta, hamza seats
    and digits folded. Keeps punctuation and spacing, so positions of words
    stay recognisable."""
    return _decode(_codes(text, _FOLD_CODES))


def matching_key(text):
    """The comparison form of a text: ``fold_arabic``, Latin lowercased,
    punctuation dropped, words separated by single spaces."""
    return " ".join(_decode(_codes(text, _KEY_CODES)).split())


def _translation(table):
    """``str.translate`` form of a code table: only the code points it
    changes (``_DELETE`` becomes None)."""
    changed = np.flatnonzero(table != np.arange(len(table), dtype=np.uint32))
    return {int(code): (None if table[code] == _DELETE else int(table[code])) for code in changed}


_KEY_TRANSLATION = _translation(_KEY_CODES)


def word_key(word):
    """``matching_key`` of one short word, with ``str.translate``: for a few
    characters, faster than the numpy path (the gazetteer keys every token
    it has not seen before)."""
    return " ".join(unicodedata.normalize("NFC", word).translate(_KEY_TRANSLATION).split())


def key_codes(text):
    """The code points of ``paragraph_keys(text)`` joined by line breaks, as
    a uint32 array: for work that needs numbers, not strings."""
    return _single_spaced(_codes(text, _KEY_CODES))


def key_codes_with_positions(text):
    """``(codes, positions)``: the code points of ``text`` (an NFC text) in
    matching-key form, spaces not merged, and the index in ``text`` of each:
    for work that needs the words of the key and where they stand."""
    codes = np.take(_KEY_CODES, np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32))
    positions = np.flatnonzero(codes != _DELETE)
    return codes[positions], positions


def paragraph_keys(text):
    """``matching_key`` of every line of a text, in one pass."""
    return _decode(key_codes(text)).split("\n")


def fold_paragraphs(text):
    """``fold_arabic`` of every line of a text, in one pass."""
    return _decode(_codes(text, _FOLD_CODES)).split("\n")


# Texts per call of ``lines_of_many`` in the stages: enough to spread numpy's
# per-call cost, few enough that the arrays stay in the CPU cache (measured:
# 50-100 beat 20 and 500).
ARTICLES_PER_BATCH = 100


def lines_of_many(line_function, texts):
    """``line_function`` (one value per line of a text, such as
    ``paragraph_keys``) applied to many texts in a single call, so that its
    numpy work is paid once per batch and not once per text: one list per
    text, empty for an empty text."""
    counts = [text.count("\n") + 1 if text else 0 for text in texts]
    lines = line_function("\n".join(text for text in texts if text)) if any(counts) else []
    result, start = [], 0
    for count in counts:
        result.append(lines[start:start + count])
        start += count
    return result


def arabic_share(text):
    """Share of letters that are Arabic (0.0 when there are no letters)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if ARABIC_LETTER.match(c)) / len(letters)


_SPACE_CLASS, _SYMBOL_CLASS, _WORD_CLASS = 0, 1, 2


def _character_classes():
    """Code point -> space, symbol (its own token) or word character, as in
    camel-tools' ``simple_word_tokenize``."""
    table = np.full(0x110000, _WORD_CLASS, dtype=np.uint8)
    for char in UNICODE_PUNCT_SYMBOL_CHARSET | EMOJI_ALL_CHARSET:
        if len(char) == 1:
            table[ord(char)] = _SYMBOL_CLASS
    for code in range(0x3000 + 1):
        if chr(code).isspace():
            table[code] = _SPACE_CLASS
    return table


_CLASSES = _character_classes()


def tokens_with_offsets(text):
    """``[(token, start, end)]``: the tokens of ``simple_word_tokenize``
    (except that a multi-character emoji sequence comes out one character
    at a time) with ``text[start:end] == token``."""
    return tokens_and_line_ends(text)[0]


def token_lines(text):
    """``tokens_with_offsets`` line by line: one list of tokens per line."""
    tokens, line_ends = tokens_and_line_ends(text)
    return [tokens[first:end] for first, end in zip([0, *line_ends[:-1]], line_ends)]


def tokens_and_line_ends(text):
    """``(tokens_with_offsets(text), line_ends)``: every token, and the index
    after each line's last token (one per line). Found with numpy, a whole
    text at once."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    classes = _CLASSES[codes]
    word = classes == _WORD_CLASS
    starts, ends = true_runs(word)
    symbols = np.flatnonzero(classes == _SYMBOL_CLASS)
    if len(symbols):
        starts = np.concatenate([starts, symbols])
        order = np.argsort(starts, kind="stable")
        starts, ends = starts[order], np.concatenate([ends, symbols + 1])[order]
    tokens = [(text[start:end], start, end) for start, end in zip(starts.tolist(), ends.tolist())]
    line_ends = np.searchsorted(starts, np.flatnonzero(codes == 10)).tolist()
    return tokens, [*line_ends, len(tokens)]
