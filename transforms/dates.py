"""Publication dates from record fields, file paths and article text."""

import datetime as dt
import email.utils
import re

from transforms.text import fold_arabic

EARLIEST_YEAR = 1990
_LATEST_AHEAD = dt.timedelta(days=366)  # a date more than a year ahead of today is a typo


def plausible_date(year, month, day):
    """A ``datetime.date`` when year/month/day form a real, plausible date:
    from ``EARLIEST_YEAR`` to a year from today."""
    latest = dt.date.today() + _LATEST_AHEAD
    if not EARLIEST_YEAR <= year <= latest.year:
        return None
    try:
        date = dt.date(year, month, day)
    except (ValueError, OverflowError):  # OverflowError: a month or day past C's int
        return None
    return date if date <= latest else None


_ISO_DATE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T\s_])")
_COMPACT_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_DAY_FIRST_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")


def parse_date_value(value):
    """``(date, utc_timestamp_or_None)`` from a record's date field, or None.

    Accepts ISO 8601 dates and timestamps (the date is the one written, in the
    publisher's own time zone), RFC 2822 (RSS ``pubDate``), Unix epochs in
    seconds or milliseconds, ``YYYYMMDD`` and day-first ``DD/MM/YYYY``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    text = fold_arabic(str(value)).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _from_epoch(float(text))
    match = _ISO_DATE.match(text)
    if match:
        day = plausible_date(*map(int, match.groups()))
        return (day, _iso_timestamp(text)) if day else None
    match = _COMPACT_DATE.match(text)
    if match:
        day = plausible_date(*map(int, match.groups()))
        return (day, None) if day else None
    match = _DAY_FIRST_DATE.match(text)
    if match:
        d, m, y = map(int, match.groups())
        day = plausible_date(y, m, d)
        return (day, None) if day else None
    try:
        stamp = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):  # OverflowError: a year past C's int
        return None
    day = plausible_date(stamp.year, stamp.month, stamp.day)
    if not day:
        return None
    return day, _utc(stamp) if stamp.tzinfo else None


def _from_epoch(number):
    try:  # an int too big for a float overflows in the division already
        seconds = number / 1000 if number > 1e11 else number
        stamp = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    day = plausible_date(stamp.year, stamp.month, stamp.day)
    return (day, stamp) if day else None


def _iso_timestamp(text):
    candidate = text.strip().replace(" ", "T", 1)
    if candidate.endswith("Z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        stamp = dt.datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return _utc(stamp) if stamp.tzinfo else None


def _utc(stamp):
    return stamp.astimezone(dt.timezone.utc)


# Month names as they appear after ``fold_arabic`` (alef and yeh folded).
# Egyptian/Gulf transliterations, Levantine/Iraqi Syriac names, Maghrebi forms.
_MONTHS = {
    1: ["يناير", "كانون الثاني", "جانفي", "ينير"],
    2: ["فبراير", "شباط", "فيفري", "فبرير"],
    3: ["مارس", "اذار"],
    4: ["ابريل", "نيسان", "افريل"],
    5: ["مايو", "ايار", "ماي"],
    6: ["يونيو", "يونيه", "حزيران", "جوان"],
    7: ["يوليو", "يوليه", "تموز", "جويليه", "يوليوز"],
    8: ["اغسطس", "اب", "اوت", "غشت"],
    9: ["سبتمبر", "ايلول", "شتنبر"],
    10: ["اكتوبر", "تشرين الاول"],
    11: ["نوفمبر", "تشرين الثاني", "نونبر"],
    12: ["ديسمبر", "كانون الاول", "دجنبر"],
}
_MONTH_BY_NAME = {name: month for month, names in _MONTHS.items() for name in names}
#: Every month name, in every regional form (folded spelling).
MONTH_NAMES = tuple(_MONTH_BY_NAME)
_MONTH_NAME = "|".join(sorted(map(re.escape, _MONTH_BY_NAME), key=len, reverse=True))
# "19 يونيو 2024", "19 يونيو/ حزيران 2024", "3 من سبتمبر عام 2025", "٣ أيلول، ٢٠٢٥"
_TEXT_DATE = re.compile(
    rf"(?<!\d)(\d{{1,2}})\s+(?:من\s+)?(?:شهر\s+)?({_MONTH_NAME})"
    rf"(?:\s*[/\-(]\s*(?:{_MONTH_NAME})\s*\)?)?"
    rf"\s*[,،]?\s*(?:(?:من\s+)?(?:عام|سنه)\s+)?(\d{{4}})(?!\d)"
)
_NUMERIC_TEXT_DATE = re.compile(
    r"(?<![\d/.-])(?:(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{1,2})[/.](\d{1,2})[/.](\d{4}))(?![\d/.-])"
)


def date_from_text(text):
    """The first full date written in an article (day, month and year), or None.

    Month names in their Egyptian, Levantine and Maghrebi forms; Arabic-Indic
    digits; ``YYYY-MM-DD`` and day-first ``DD/MM/YYYY``. Dates with no year
    ("اليوم 3 سبتمبر") are not enough and are ignored.
    """
    folded = fold_arabic(text)
    found = []
    for match in _TEXT_DATE.finditer(folded):
        day, month_name, year = match.groups()
        date = plausible_date(int(year), _MONTH_BY_NAME[month_name], int(day))
        if date:
            found.append((match.start(), date))
            break
    for match in _NUMERIC_TEXT_DATE.finditer(folded):
        y1, m1, d1, d2, m2, y2 = match.groups()
        date = (
            plausible_date(int(y1), int(m1), int(d1))
            if y1
            else plausible_date(int(y2), int(m2), int(d2))
        )
        if date:
            found.append((match.start(), date))
            break
    return min(found)[1] if found else None


_HIVE_DATE = re.compile(r"(?:^|/)date=(\d{4})-(\d{2})-(\d{2})(?:/|$)")
_DATED_FOLDERS = re.compile(r"(?:^|/)(\d{4})/(\d{1,2})/(\d{1,2})/")
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)")


def date_from_path(path):
    """A date from ``date=YYYY-MM-DD/``, ``.../YYYY/MM/DD/`` or the file name."""
    for pattern in (_HIVE_DATE, _DATED_FOLDERS):
        match = pattern.search(path)
        if match:
            date = plausible_date(*map(int, match.groups()))
            if date:
                return date
    name = path.rsplit("/", 1)[-1]
    for match in _NAME_DATE.finditer(name):
        date = plausible_date(*map(int, match.groups()))
        if date:
            return date
    return None


_RELATIVE_DAY = re.compile(r"^today(?:-(\d+))?$")


def run_date(value, today=None):
    """A ``--start_date`` / ``--end_date``: ``YYYY-MM-DD``, or ``today``,
    ``yesterday``, ``today-N`` counted in UTC when the job is launched, so
    that a scheduled launch with fixed parameters processes the day before."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    text = value.strip().lower()
    if text == "yesterday":
        return today - dt.timedelta(days=1)
    relative = _RELATIVE_DAY.match(text)
    if relative:
        try:
            return today - dt.timedelta(days=int(relative.group(1) or 0))
        except OverflowError:  # so many days back that there is no such date
            raise ValueError(f"{value!r} is before the year 1") from None
    return dt.date.fromisoformat(value)
