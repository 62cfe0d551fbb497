"""Properties of the plain functions that meet hostile input: the readers,
the date parsers, the slugger and the normalizer. Each states what must hold
for every input Hypothesis can build, so a failure shrinks to a minimal case
(the ``@example`` of a bug once found keeps it covered)."""

import datetime as dt
import gzip
import io
import json
import posixpath
import re
import unicodedata

import fsspec
from apache_beam.pvalue import TaggedOutput
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

import schemas
from transforms import rejects
from transforms.dates import EARLIEST_YEAR, date_from_path, date_from_text, parse_date_value, plausible_date, run_date
from transforms.normalize import normalize_article
from transforms.read import (
    DEFAULT_MAX_RECORD_BYTES, FIELD_NAMES, ReadFileFn, decode_bytes, fields_from_object, objects_in_json, parse_json,
)
from transforms.rejects import Rejected
from transforms.sources import MAX_SLUG_LENGTH, slugify_source, source_from_path, source_from_url
from transforms.text import clean_text, matching_key, paragraphs, token_lines, tokens_with_offsets
from transforms.write import partition_path

FAST = settings(max_examples=150, deadline=None)
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EARLIEST = dt.date(EARLIEST_YEAR, 1, 1)
A_YEAR = dt.timedelta(days=366)  # a year from today is at most this far
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")

ARABIC_LETTERS = "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي"
ARABIC_MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0653\u0654\u0655\u0670"
# Characters scrapers leave in text: C0/C1 controls, NUL, every line break,
# NBSP and wide spaces, zero-width and bidi controls, BOM, soft hyphen,
# combining marks (Latin, Arabic, Hangul jamo that compose), tatweel.
HOSTILE_CHARS = (
    "\x00\x01\x07\x08\x1b\x1c\x1f\x7f\x80\x85\x9f\t\n\r\x0b\x0c\u2028\u2029\u00a0\u2007\u202f\u3000"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\ufeff\u00ad"
    "\u0301\u0316\u0345\u1100\u1161\u11a8\u0640eAİß٣٤/\\.=-_ :<>&;"
) + ARABIC_LETTERS + ARABIC_MARKS
# Text is Unicode: no lone surrogate (only JSON escapes spell one, and the
# reader replaces them; see ``json_text``).
hostile_chars = st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters(codec="utf-8"))
hostile_text = st.text(hostile_chars, max_size=60)
# JSON's \\uXXXX escapes can spell a lone surrogate, which str holds but UTF-8 cannot.
json_text = hostile_text | st.builds("{}{}{}".format, hostile_text, st.characters(categories=["Cs"]), hostile_text)

HUGE_INTS = [10**400, -(10**400), 10**4299, 2**63, -(2**63) - 1, 2**64, 10**20]
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(HUGE_INTS), st.floats(), json_text,
)
NESTED_KEYS = ["name", "title", "id", "domain", "url", "text", "articles", "data"]
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(NESTED_KEYS), json_text), inner, max_size=4),
    ),
    max_leaves=12,
)
USUAL_NAMES = sorted({name for names in FIELD_NAMES.values() for name in names})
# How exports spell a field name: any case, "-" or "_" between words.
field_names = st.tuples(st.sampled_from(USUAL_NAMES), st.sampled_from([str.lower, str.upper, str.title])).map(
    lambda pair: pair[1](pair[0]).replace("_", "-")
) | st.sampled_from(USUAL_NAMES)
article_objects = st.dictionaries(st.one_of(field_names, json_text), json_values, max_size=6)


def _assert_field_values(fields):
    """Text or None in each column (a number may stay one in ``published``),
    and text that Parquet's UTF-8 can hold."""
    assert set(fields) >= set(FIELD_NAMES)
    for column in FIELD_NAMES:
        value = fields[column]
        kinds = (str, int, float) if column == "published" else (str,)
        assert value is None or isinstance(value, kinds), (column, value)
        if isinstance(value, str):
            assert not LONE_SURROGATE.search(value), (column, value)


def _assert_plausible(date):
    assert date is None or EARLIEST <= date <= dt.date.today() + A_YEAR, date


# --- Readers -------------------------------------------------------------------------------------------------------

@FAST
@given(st.one_of(
    st.binary(max_size=200),
    st.tuples(hostile_text, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "windows-1256"]))
    .map(lambda pair: pair[0].encode(pair[1], "replace")),
))
def test_any_bytes_decode_to_their_own_text_or_are_rejected_with_a_known_reason(data):
    try:
        text, encoding = decode_bytes(data)
    except Rejected as error:
        assert error.reason in (rejects.EMPTY_FILE, rejects.BINARY_FILE, rejects.UNDECODABLE)
        return
    assert isinstance(text, str)
    assert text == data.decode(encoding)


# Text a UTF-8 or UTF-16 file may hold: no surrogate, no control but tab and
# line breaks (a file of those is binary), some non-blank byte.
file_text = st.text(st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from("\t\n\r"), min_size=1, max_size=80)


@FAST
@given(file_text, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"]))
def test_utf8_and_utf16_with_a_bom_read_back_as_the_text_written(text, encoding):
    assume(text.encode("utf-8").strip() and not text.startswith("\ufeff"))
    if encoding.endswith("-bom"):
        codec = encoding[:-len("-bom")]
        data = "\ufeff".encode(codec) + text.encode(codec)
    else:
        data = text.encode(encoding)
    assert decode_bytes(data)[0] == text


@FAST
@given(st.one_of(article_objects, json_values))
@example({"source": "\ud800", "text": "\udc00\u0627"})  # a JSON "\ud800" escape
@example({"date": 10**400})
def test_fields_of_any_json_value_are_text_or_none_and_the_metadata_stage_takes_them(obj):
    try:
        fields = fields_from_object(obj)
    except Rejected as error:
        assert error.reason == rejects.NOT_AN_OBJECT and not isinstance(obj, dict)
        return
    assert isinstance(obj, dict)
    _assert_field_values(fields)
    parsed = parse_date_value(fields["published"])
    _assert_plausible(parsed and parsed[0])
    slug = slugify_source(fields["source_name"])
    assert slug is None or SLUG.match(slug)


@FAST
@given(st.sampled_from(sorted(FIELD_NAMES)), st.data(),
       st.text(st.characters(codec="utf-8", exclude_characters="<"), min_size=1))
def test_a_text_value_under_any_usual_name_of_a_field_is_that_field(column, data, value):
    names = st.sampled_from(FIELD_NAMES[column])
    name = data.draw(names | names.map(lambda n: n.upper().replace("_", "-")))
    fields = fields_from_object({name: value})
    assert fields[column] == value
    assert all(fields[other] is None for other in FIELD_NAMES if other != column)


CONTAINER_KEYS = ["articles", "data", "items", "results", "records", "docs", "documents"]


@FAST
@given(st.lists(article_objects, max_size=3), st.none() | st.sampled_from(CONTAINER_KEYS))
def test_the_articles_of_an_array_or_a_container_object_are_found(articles, key):
    assert objects_in_json(articles if key is None else {key: articles}) == articles


@FAST
@given(json_values, st.booleans())
@example(10**4299, True)
def test_parse_json_reads_back_any_json_document(value, ensure_ascii):
    text = json.dumps(value, ensure_ascii=ensure_ascii)
    assert json.dumps(parse_json(text), ensure_ascii=ensure_ascii) == text


def _json_bytes(value, ensure_ascii):
    return json.dumps(value, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")


json_documents = st.builds(
    _json_bytes,
    st.one_of(article_objects, st.lists(article_objects, max_size=3), article_objects.map(lambda o: {"articles": [o]}),
              json_values),
    st.booleans(),
)
jsonl_lines = st.one_of(
    json_documents, st.binary(max_size=30), st.sampled_from([b"", b"  ", b"\r", b"{", b"[]", b"null", b'"x"']),
    hostile_text.map(lambda t: t.encode("utf-8")),
)
jsonl_bytes = st.lists(jsonl_lines, max_size=6).map(lambda lines: b"\n".join(lines)) | st.lists(
    jsonl_lines, max_size=6).map(lambda lines: b"".join(line + b"\n" for line in lines))
txt_bytes = st.builds(
    lambda text, codec: text.encode(codec, "replace"),
    hostile_text, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "windows-1256"]),
)
any_file_bytes = st.one_of(st.binary(max_size=300), json_documents, jsonl_bytes, txt_bytes)

MEMORY = fsspec.filesystem("memory")


def read_outputs(name, data, max_record_bytes=DEFAULT_MAX_RECORD_BYTES):
    """What ``ReadFileFn`` makes of ``data`` written to ``memory://.../name``."""
    url = f"memory://properties/{name}"
    MEMORY.pipe_file(url, data)
    try:
        return url, list(ReadFileFn(max_record_bytes=max_record_bytes)._records_or_rejects((url, len(data))))
    finally:
        MEMORY.rm_file(url)


def _assert_records_or_known_rejects(url, outputs):
    assert outputs, "a file gave neither a record nor a reject"
    for output in outputs:
        if isinstance(output, TaggedOutput):
            assert output.tag == ReadFileFn.REJECTS and output.value["input_path"] == url
            assert output.value["reason"] in rejects.REASONS
        else:
            assert isinstance(output, dict) and output["input_path"] == url
            _assert_field_values(output)


def _summary(output):
    if isinstance(output, TaggedOutput):
        return ("reject", output.value["record_index"], output.value["reason"])
    return ("record", output["record_index"], output["encoding"], *(output[column] for column in FIELD_NAMES))


@SLOW
@given(any_file_bytes, st.sampled_from([".json", ".jsonl", ".txt"]), st.booleans(), st.data())
def test_any_file_gives_records_or_known_rejects_and_compression_changes_none(data, extension, truncate, draw):
    url, outputs = read_outputs("case" + extension, data)
    _assert_records_or_known_rejects(url, outputs)
    compressed = gzip.compress(data, mtime=0)
    if truncate:
        compressed = compressed[:draw.draw(st.integers(0, len(compressed) - 1))]
    gzip_url, gzip_outputs = read_outputs("case" + extension + ".gz", compressed)
    _assert_records_or_known_rejects(gzip_url, gzip_outputs)
    if not truncate:
        assert [_summary(o) for o in gzip_outputs] == [_summary(o) for o in outputs]


@SLOW
@given(jsonl_bytes, st.sampled_from([DEFAULT_MAX_RECORD_BYTES, 24]))
def test_each_jsonl_line_that_is_not_blank_gives_exactly_one_record_or_reject(data, max_record_bytes):
    url, outputs = read_outputs("case.jsonl", data, max_record_bytes)
    _assert_records_or_known_rejects(url, outputs)
    lines = io.BytesIO(data).readlines()
    expected = [i for i, line in enumerate(lines) if line.strip() or len(line.rstrip(b"\n")) > max_record_bytes]
    indexes = [o.value["record_index"] if isinstance(o, TaggedOutput) else o["record_index"] for o in outputs]
    if expected:
        assert indexes == expected
    else:
        assert [_summary(o) for o in outputs] == [("reject", None, rejects.NO_RECORDS)]


# --- Dates ---------------------------------------------------------------------------------------------------------

RFC_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
years = st.one_of(st.integers(-1, 10_000), st.sampled_from([0, 1989, EARLIEST_YEAR, 9999]),
                  st.integers(dt.date.today().year - 1, dt.date.today().year + 2))
date_parts = st.tuples(years, st.integers(0, 13), st.integers(0, 32))
DATE_FORMS = [
    "{y:04d}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y:04d}{m:02d}{d:02d}", "{d:02d}/{m:02d}/{y:04d}",
    "{y:04d}-{m:02d}-{d:02d}T25:61:00Z", "{y:04d}-{m:02d}-{d:02d}T23:30:00+03:00",
    "{y:04d}-{m:02d}-{d:02d} 10:00-11:59",
    "Wed, {d} {mon} {y} 10:00:00 +9999", "{d} {mon} {y} 23:59:59 -1200", "{d} {mon} 99999999999999999999 00:00:00",
]
written_dates = st.builds(
    lambda parts, form: form.format(y=parts[0], m=parts[1], d=parts[2], mon=RFC_MONTHS[(parts[1] - 1) % 12]),
    date_parts, st.sampled_from(DATE_FORMS),
)
date_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(HUGE_INTS + [-(2**70), 10**11, 10**13]), st.floats(),
    st.integers(-(2**45), 2**45).map(str), written_dates, hostile_text,
    st.text("0123456789٠١٢٣٤٥٦٧٨٩۰۹१𝟗-/.:, TZ+e", max_size=30),
)


@FAST
@given(date_values)
@example(10**309)  # too big to divide to a float
@example("1 Jan 99999999999999999999 00:00:00")  # an RFC 2822 year past C's int
def test_any_date_value_is_none_or_a_plausible_date_with_a_utc_timestamp_near_it(value):
    parsed = parse_date_value(value)
    if parsed is None:
        return
    date, stamp = parsed
    assert isinstance(date, dt.date)
    _assert_plausible(date)
    if stamp is not None:
        assert stamp.utcoffset() == dt.timedelta(0)
        assert abs(stamp.date() - date) <= dt.timedelta(days=1)  # a publisher's zone is less than a day off UTC


def plausible_dates():
    return st.dates(min_value=EARLIEST, max_value=dt.date.today() + dt.timedelta(days=365))


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@FAST
@given(plausible_dates(), st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d/%m/%Y", "%d.%m.%Y"]), st.booleans())
def test_a_plausible_date_written_in_any_accepted_form_reads_back(date, form, arabic_digits):
    text = date.strftime(form)
    assert parse_date_value(text.translate(ARABIC_INDIC) if arabic_digits else text) == (date, None)


@FAST
@given(st.datetimes(min_value=dt.datetime(EARLIEST_YEAR, 1, 1), max_value=dt.datetime.now() + dt.timedelta(days=300)),
       st.sampled_from(["seconds", "milliseconds", "text", "iso", "rfc"]))
def test_a_plausible_instant_reads_back_with_its_utc_timestamp(moment, form):
    moment = moment.replace(microsecond=0, tzinfo=dt.timezone.utc)
    seconds = int(moment.timestamp())
    value = {
        "seconds": seconds, "milliseconds": seconds * 1000, "text": str(seconds),
        "iso": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "rfc": moment.strftime("%a, %d %b %Y %H:%M:%S +0000"),
    }[form]
    assert parse_date_value(value) == (moment.date(), moment)


@FAST
@given(years | st.integers(), st.integers(0, 13) | st.integers(), st.integers(0, 32) | st.integers())
@example(1990, 0, 2**31)  # a day past C's int
def test_plausible_date_is_the_calendar_date_when_it_exists_and_is_in_range(year, month, day):
    date = plausible_date(year, month, day)
    try:
        real = dt.date(year, month, day)
    except (ValueError, OverflowError):
        real = None
    if real is not None and EARLIEST <= real <= dt.date.today() + dt.timedelta(days=365):
        assert date == real
    else:
        assert date is None or date == real
        _assert_plausible(date)


@FAST
@given(st.dates(min_value=dt.date.today() + A_YEAR + dt.timedelta(days=1),
                max_value=dt.date(dt.date.today().year + 2, 12, 31)))
def test_a_date_more_than_a_year_ahead_is_a_typo(date):
    assert plausible_date(date.year, date.month, date.day) is None
    assert parse_date_value(date.isoformat()) is None


MONTH_NAMES = [
    ["يناير", "كانون الثاني", "جانفي"], ["فبراير", "شباط", "فيفري"], ["مارس", "آذار"], ["أبريل", "نيسان", "أفريل"],
    ["مايو", "أيار", "ماي"], ["يونيو", "حزيران", "جوان"], ["يوليو", "تموز", "جويلية"], ["أغسطس", "آب", "أوت"],
    ["سبتمبر", "أيلول"], ["أكتوبر", "تشرين الأول"], ["نوفمبر", "تشرين الثاني"], ["ديسمبر", "كانون الأول"],
]
words = st.lists(st.sampled_from(["قال", "الوزير", "إن", "في", "اليوم", "بتاريخ", "عام", "(رويترز)", "-", "،"]),
                 max_size=4)


@FAST
@given(plausible_dates(), st.data(), words, words, st.booleans())
def test_a_date_written_in_an_article_is_found(date, data, before, after, arabic_digits):
    month = data.draw(st.sampled_from(MONTH_NAMES[date.month - 1]))
    written = data.draw(st.sampled_from([f"{date.day} {month} {date.year}", f"{date.day} من {month} عام {date.year}",
                                         date.strftime("%Y-%m-%d"), date.strftime("%d/%m/%Y")]))
    if arabic_digits:
        written = written.translate(ARABIC_INDIC)
    assert date_from_text(" ".join([*before, written, *after])) == date


@FAST
@given(st.one_of(hostile_text, written_dates, st.lists(written_dates | hostile_text, max_size=4).map(" ".join)))
def test_any_text_gives_no_date_or_a_plausible_one(text):
    _assert_plausible(date_from_text(text))
    _assert_plausible(date_from_path(text))
    _assert_plausible(date_from_path("/data/" + text.replace(" ", "/") + "/a.txt"))


@FAST
@given(plausible_dates(), st.sampled_from(["/in/date={:%Y-%m-%d}/a.json", "gs://b/src/{:%Y/%m/%d}/x1.json",
                                            "/in/article_{:%Y-%m-%d}_3.txt", "/in/{:%Y%m%d}-x.txt"]))
def test_a_date_in_a_path_is_found(date, form):
    assert date_from_path(form.format(date)) == date


@FAST
@given(st.one_of(hostile_text, st.from_regex(r"\A\s*[Tt][Oo][Dd][Aa][Yy](-\d{1,30})?\s*\Z"), written_dates))
@example("TODAY-1000000")  # a day before the year 1
@example("today-99999999999")  # more days than a timedelta holds
@example("today-" + "9" * 5000)  # more digits than int() takes
def test_run_date_is_a_date_or_a_value_error(value):
    today = dt.date(2024, 3, 1)
    try:
        day = run_date(value, today=today)
    except ValueError:
        return
    assert isinstance(day, dt.date)
    if value.strip().lower().startswith("today"):
        assert day <= today
    else:
        assert day == dt.date.fromisoformat(value)


@FAST
@given(st.dates(), st.integers(0, 10_000))
def test_run_date_reads_back_a_date_and_counts_back_days(date, days):
    assert run_date(date.isoformat()) == date
    if days <= (date - dt.date.min).days:
        assert run_date(f"today-{days}", today=date) == date - dt.timedelta(days=days)


# --- Sources and partition paths -----------------------------------------------------------------------------------

source_names = st.one_of(
    hostile_text, st.sampled_from(["..", "../../etc", "a/b", "source=x", "\u202egpj.exe", "ا" * 300]),
    st.text("ابتةىأإآءـَ -._/\\=AZaz09é™", max_size=80),
)


@FAST
@given(source_names)
def test_a_slug_is_a_safe_folder_name_deterministic_and_its_own_slug(name):
    slug = slugify_source(name)
    assert slug == slugify_source(name)
    if slug is None:
        assert not any(ch.isalnum() for ch in name)
        return
    assert SLUG.match(slug) and len(slug) <= MAX_SLUG_LENGTH
    assert slugify_source(slug) == slug


TABLES = sorted(schemas.TABLE_FOLDERS)


@FAST
@given(source_names, st.none() | plausible_dates(), st.sampled_from(TABLES))
def test_a_partition_path_is_its_tables_folder_and_two_key_folders(name, date, table):
    slug = slugify_source(name)
    path = partition_path(table, (date and date.isoformat(), slug))
    folders = path.split("/")
    assert folders == [*schemas.TABLE_FOLDERS[table].split("/"),
                       f"date={date or schemas.NULL_PARTITION}", f"source={slug or schemas.NULL_PARTITION}"]
    assert posixpath.normpath(path) == path and ".." not in path
    assert all(folder.count("=") == 1 for folder in folders[-2:]) and "=" not in schemas.TABLE_FOLDERS[table]
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zs") for ch in path)


@FAST
@given(hostile_text)
def test_a_source_from_a_path_is_one_folder_name(path):
    source = source_from_path(path)
    assert source is None or (source and "/" not in source)


@FAST
@given(st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=30))
def test_a_hive_source_folder_reads_back(name):
    assert source_from_path(f"/in/source={name}/date=2024-06-19/a.txt") == name


@FAST
@given(st.one_of(hostile_text, st.builds("{}://{}/{}".format, st.sampled_from(["http", "https", ""]), hostile_text,
                                         hostile_text)))
def test_a_source_from_a_url_is_its_host_without_user_port_path_query_or_fragment(url):
    host = source_from_url(url)
    assert host is None or (host and not re.search(r"[/@?#]|:\d+$", host))


# --- Text ----------------------------------------------------------------------------------------------------------

INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)


# Letters that compose with the marks after them, and what may stand between.
COMPOSING = "eEa\u0301\u0308\u0327\u1100\u1161\u11a8\u0627\u0648\u064a\u0653\u0654\u064e\u200b\u200f\ufeff\x00\x85 \n"


@FAST
@given(hostile_text | st.text(st.sampled_from(COMPOSING), max_size=8))
@example("e\u200b\u0301")  # the zero-width space kept e and U+0301 apart in NFC
@example("\u0300\ufeff\u0316")  # and the BOM kept these two marks in the wrong order
def test_clean_text_is_nfc_without_controls_blank_lines_or_edge_spaces_and_idempotent(raw):
    cleaned = clean_text(raw)
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in cleaned)
    assert not any(ch in INVISIBLE for ch in cleaned)
    for line in cleaned.split("\n") if cleaned else []:
        assert line and line == line.strip() and "  " not in line
        assert all(ch == " " or not ch.isspace() for ch in line)
    assert clean_text(cleaned) == cleaned


@FAST
@given(hostile_text)
def test_tokens_are_the_non_space_text_in_order_at_their_offsets(text):
    tokens = tokens_with_offsets(text)
    covered = [False] * len(text)
    previous_end = 0
    for token, start, end in tokens:
        assert token and text[start:end] == token and previous_end <= start
        assert not any(ch.isspace() for ch in token)
        covered[start:end] = [True] * (end - start)
        previous_end = end
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(text))
    lines = token_lines(text)
    assert len(lines) == text.count("\n") + 1 and sum(lines, []) == tokens
    for number, line in enumerate(lines):
        assert all(text.count("\n", 0, start) == number for _, start, _ in line)


@FAST
@given(st.lists(st.tuples(st.sampled_from(ARABIC_LETTERS.replace("ء", "")),
                          st.text(st.sampled_from(ARABIC_MARKS + "\u0640"), max_size=3)), min_size=1, max_size=12),
       st.sampled_from([" ", "  ", "\u00a0", "، ", "\u200f "]))
def test_diacritics_and_tatweel_never_change_a_matching_key(letters, space):
    plain = "".join(letter for letter, _ in letters)
    marked = "".join(letter + marks for letter, marks in letters)
    assert matching_key(f"{marked}{space}{marked}") == matching_key(f"{plain} {plain}")


def _record(text, title, source_name):
    return {"input_path": "/in/a.json", "record_index": 0, "size_bytes": 1, "title": title, "text": text,
            "source_name": source_name, "date": None, "source": None}


@FAST
@given(st.none() | hostile_text, st.none() | hostile_text, st.none() | hostile_text,
       st.integers(1, 80), st.integers(1, 20))
def test_a_normalized_article_counts_its_own_text_or_is_rejected_with_a_known_reason(
        text, title, source_name, max_article_chars, max_title_chars):
    record = _record(text, title, source_name)
    try:
        article = normalize_article(record, max_article_chars, max_title_chars)
    except Rejected as error:
        assert error.reason in (rejects.MISSING_TEXT, rejects.TEXT_TOO_LONG, rejects.TITLE_TOO_LONG)
        if error.reason == rejects.MISSING_TEXT:
            assert clean_text(text or "") == ""
        return
    assert article["text"] == clean_text(text) and 0 < len(article["text"]) <= max_article_chars
    assert article["char_count"] == len(article["text"])
    assert article["paragraph_count"] == len(paragraphs(article["text"])) == article["text"].count("\n") + 1
    assert article["title"] is None or (0 < len(article["title"]) <= max_title_chars and "\n" not in article["title"])
    assert {k: v for k, v in article.items() if k not in ("title", "text", "source_name", "char_count",
                                                          "paragraph_count")} == {
        k: v for k, v in record.items() if k not in ("title", "text", "source_name")}
