"""Source names: where they come from and the safe slug they become.

The slug is a partition folder name, so it is built from an allow-list of
characters: no value from the data can name a path outside the output.
"""

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit

from transforms.text import fold_arabic

MAX_SLUG_LENGTH = 64

# A plain romanisation of Arabic letters, only for folder names; the
# original spelling stays in the ``source_name`` column.
_ROMAN = str.maketrans(
    {
        "ا": "a", "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh",
        "د": "d", "ذ": "dh", "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s",
        "ض": "d", "ط": "t", "ظ": "z", "ع": "", "غ": "gh", "ف": "f", "ق": "q",
        "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "w", "ي": "y",
        "ء": "", "پ": "p", "چ": "ch", "ژ": "zh", "گ": "g", "ڤ": "v",
    }
)
# Teh marbuta and alef maksura read as a vowel ("الجزيرة" -> "aljzyra").
_FINAL_VOWELS = str.maketrans({"ة": "a", "ى": "a"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_WWW = re.compile(r"^(www\d*|m|amp|mobile)\.")


def slugify_source(name):
    """Lowercase ASCII slug (``a-z0-9-``) of a source name, or None if empty.

    Arabic is romanised ("الشرق الأوسط" -> "alshrq-alawst"), Latin accents
    dropped, everything else becomes a hyphen; a name with nothing left that
    can be spelled gets a short stable hash instead.
    """
    if name is None:
        return None
    name = str(name).strip()
    if not name:
        return None
    romanised = fold_arabic(name.translate(_FINAL_VOWELS)).translate(_ROMAN)
    ascii_text = (
        unicodedata.normalize("NFKD", romanised).encode("ascii", "ignore").decode().lower()
    )
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-")[:MAX_SLUG_LENGTH].strip("-")
    if slug:
        return slug
    if not any(ch.isalnum() for ch in name):
        return None
    return "src-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]


_HIVE_SOURCE = re.compile(r"(?:^|/)source=([^/]+)/")
_SOURCE_BEFORE_DATE = re.compile(r"(?:^|/)([^/=]+)/\d{4}/\d{1,2}/\d{1,2}/")


def source_from_path(path):
    """A source name from ``source=X/`` or ``X/YYYY/MM/DD/`` in a path."""
    for pattern in (_HIVE_SOURCE, _SOURCE_BEFORE_DATE):
        match = pattern.search(path)
        if match:
            return match.group(1)
    return None


def source_from_url(url):
    """The publisher's host name from an article URL ("www.aawsat.com" ->
    "aawsat.com"), or None."""
    if not url:
        return None
    try:
        host = urlsplit(str(url).strip()).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    return _WWW.sub("", host)
