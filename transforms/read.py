"""Stage 1: read article files into raw records.

A file is ``.txt`` (first non-empty line the title, the rest the body),
``.json`` (an object, an array of objects, or an object holding one under
``articles``/``data``/``items``/``results``) or ``.jsonl`` (one object per
line), each optionally compressed (``.gz``, ``.bz2``, ``.zst``, ``.xz``).
Every file yields records or rejects, never nothing.
"""

import codecs
import hashlib
import html
import io
import json
import posixpath
import re

import apache_beam as beam

from transforms import files, rejects
from transforms.progress import StageMeter, main_output
from transforms.rejects import Rejected
from transforms.text import arabic_share

FORMATS = {".txt": "txt", ".text": "txt", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024

# The usual names of each field in scraped or exported news JSON, in order
# of preference. Matching is case-insensitive and ignores - and _.
FIELD_NAMES = {
    "record_id": ["id", "article_id", "doc_id", "guid", "uuid", "_id", "identifier"],
    "url": ["url", "link", "canonical_url", "article_url", "href", "permalink", "source_url"],
    "source_name": [
        "source", "source_name", "site", "site_name", "outlet", "publisher",
        "newspaper", "website", "domain", "feed", "media",
    ],
    "published": [
        "date", "published", "published_at", "publish_date", "published_date",
        "publication_date", "date_published", "datepublished", "pubdate",
        "pub_date", "created_at", "created", "datetime", "timestamp", "time",
    ],
    "title": ["title", "headline", "name", "heading"],
    "text": [
        "text", "body", "content", "article", "article_body", "articlebody",
        "maintext", "main_text", "full_text", "fulltext", "story", "article_text",
    ],
}
_CONTAINER_KEYS = ("articles", "data", "items", "results", "records", "docs", "documents")
_NESTED_NAME_KEYS = ("name", "title", "id", "domain", "url")

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BINARY_SAMPLE = 8192
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
_MIN_ARABIC_SHARE = 0.5
_HTML_TAG = re.compile(r"<\s*/?\s*(p|br|div|span|a|b|i|strong|em|h[1-6]|li|ul|figure|img)\b[^>]*>", re.I)
_HTML_BLOCK_END = re.compile(r"<\s*(br\s*/?|/p|/div|/h[1-6]|/li|/figure)\s*>", re.I)
_ANY_TAG = re.compile(r"<[^>]{0,500}>")
_MAX_FIELD_DEPTH = 16  # a field's value nested deeper than this is no article text
# A JSON escape such as "\ud800" spells half a surrogate pair, and Python
# spells a file name's non-UTF-8 bytes as such halves: str holds them,
# UTF-8 (and so every later stage and Parquet) cannot.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def decode_bytes(data):
    """``(text, encoding)``: UTF-8 (with or without BOM), UTF-16 with a BOM,
    else windows-1256 when that reads as Arabic. Raises ``Rejected``."""
    if not data.strip():
        raise Rejected(rejects.EMPTY_FILE, f"{len(data)} bytes, no text")
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise Rejected(rejects.UNDECODABLE, f"UTF-16 BOM but {error}") from None
    sample = data[:_BINARY_SAMPLE]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if b"\x00" in sample or controls > len(sample) * 0.05:
        raise Rejected(rejects.BINARY_FILE, f"{controls} control bytes in the first {len(sample)}")
    if data.startswith(_UTF8_BOM):
        try:
            return data[len(_UTF8_BOM):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise Rejected(rejects.UNDECODABLE, f"UTF-8 BOM but {error}") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("windows-1256")
        except UnicodeDecodeError:
            text = ""
        share = arabic_share(text)
        if share >= _MIN_ARABIC_SHARE:
            return text, "windows-1256"
        raise Rejected(
            rejects.UNDECODABLE,
            f"not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}); "
            f"as windows-1256 only {share:.0%} of letters are Arabic",
        ) from None


def html_to_text(text):
    """Plain text from a body that carries HTML markup; plain text unchanged."""
    if not _HTML_TAG.search(text):
        return text
    text = _HTML_BLOCK_END.sub("\n", text)
    return html.unescape(_ANY_TAG.sub("", text))


def parse_txt(text):
    """``(title, body)``: the first non-empty line is the title."""
    lines = text.lstrip("\ufeff").splitlines()
    for index, line in enumerate(lines):
        if line.strip():
            return line.strip(), "\n".join(lines[index + 1:])
    return None, ""


def _key(name):
    return re.sub(r"[-_\s]", "", str(name).lower())


_FIELD_BY_KEY = {
    column: [_key(name) for name in names] for column, names in FIELD_NAMES.items()
}


def _scalar(value, depth=0):
    """A field value as text: nested ``{"name": ...}`` objects unwrapped,
    lists of paragraphs joined; nothing from deeper than ``_MAX_FIELD_DEPTH``."""
    if depth > _MAX_FIELD_DEPTH:
        return None
    if isinstance(value, dict):
        for key in _NESTED_NAME_KEYS:
            if value.get(key) not in (None, ""):
                return _scalar(value[key], depth + 1)
        return None
    if isinstance(value, list):
        parts = [_scalar(item, depth + 1) for item in value]
        return "\n".join(str(p) for p in parts if p not in (None, "")) or None
    if value is None:
        return None
    return value if isinstance(value, (int, float)) else str(value)


def fields_from_object(obj):
    """The article fields of one JSON object, by their usual names: text
    (lone surrogates replaced by U+FFFD), or a number for ``published``."""
    if not isinstance(obj, dict):
        raise Rejected(rejects.NOT_AN_OBJECT, f"a JSON {type(obj).__name__}, not an object")
    by_key = {}
    for name, value in obj.items():
        by_key.setdefault(_key(name), value)
    fields = {}
    for column, keys in _FIELD_BY_KEY.items():
        value = next((by_key[k] for k in keys if by_key.get(k) not in (None, "", [])), None)
        fields[column] = _scalar(value)
    for column, value in fields.items():
        if value is not None and not (column == "published" and isinstance(value, (int, float))):
            fields[column] = _LONE_SURROGATE.sub("\ufffd", str(value))
    if fields["text"]:
        fields["text"] = html_to_text(fields["text"])
    return fields


def parse_json(text):
    """A JSON document; ``Rejected`` (malformed_json) for one Python cannot
    hold: nested too deep, or an integer of thousands of digits."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as error:
        raise Rejected(rejects.MALFORMED_JSON, f"{type(error).__name__}: {error}") from None


def objects_in_json(document):
    """The article objects of a parsed ``.json`` document."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in _CONTAINER_KEYS:
            if isinstance(document.get(key), list):
                return document[key]
    return [document]


def article_id(input_path, record_index):
    """Stable id: the same file and position give the same id on every run."""
    digest = hashlib.blake2b(f"{input_path}\x1f{record_index}".encode("utf-8"), digest_size=10)
    return digest.hexdigest()


def input_format(url):
    """``txt``, ``json`` or ``jsonl`` from a file name, or None."""
    name, _ = files.split_compression(url)
    return FORMATS.get(posixpath.splitext(name)[1].lower())


class ListFilesFn(beam.DoFn):
    """One ``--input`` in; the files it names out, or a ``no_match`` reject.
    Manifests (``files.manifests_for``) are never read as articles."""

    REJECTS = "rejects"
    UNREADABLE_NAMES = "unreadable_names"  # files found, and rejected for their names

    def __init__(self, inputs, manifest=None):
        self.inputs = inputs
        self.manifest = manifest

    def setup(self):
        self.exclude = frozenset(files.manifests_for(self.inputs, self.manifest)[1])

    def process(self, pattern):
        found = files.list_input_files(pattern)
        if not found:
            yield beam.pvalue.TaggedOutput(
                self.REJECTS, rejects.reject_row(pattern, rejects.NO_MATCH, "the input names no file")
            )
        for url, size in found:
            if _LONE_SURROGATE.search(url):  # a local name of bytes that are not UTF-8: no coder takes it
                shown = url.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                yield beam.pvalue.TaggedOutput(self.UNREADABLE_NAMES, (shown, size))
            elif url not in self.exclude:
                yield url, size


class ReadFileFn(beam.DoFn):
    """One file in; raw records out, or rejects (tag ``rejects``)."""

    REJECTS = "rejects"

    def __init__(self, max_file_bytes=DEFAULT_MAX_FILE_BYTES, max_record_bytes=DEFAULT_MAX_RECORD_BYTES):
        self.max_file_bytes = max_file_bytes
        self.max_record_bytes = max_record_bytes

    def setup(self):
        self.files_read, self.records_parsed = StageMeter("read"), StageMeter("parse")

    def process(self, input_file):
        yield from self.records_parsed.each(self._records_or_rejects(input_file), counted=main_output)
        self.files_read.add(1, 0.0)

    def _records_or_rejects(self, input_file):
        url, size = input_file
        fmt = input_format(url)
        try:
            if fmt is None:
                raise Rejected(rejects.UNSUPPORTED_FORMAT, posixpath.basename(url))
            if fmt == "jsonl":
                yield from self._read_jsonl(url, size)
                return
            data = self._read_whole(url, size)
            text, encoding = decode_bytes(data)
        except Rejected as error:
            yield beam.pvalue.TaggedOutput(self.REJECTS, rejects.reject_row(url, error.reason, error.detail, size))
            return
        if fmt == "txt":
            title, body = parse_txt(text)
            yield self._record(url, 0, fmt, encoding, size, {"title": title, "text": body})
            return
        try:
            objects = objects_in_json(parse_json(text))
        except Rejected as error:
            yield beam.pvalue.TaggedOutput(self.REJECTS, rejects.reject_row(url, error.reason, error.detail, size))
            return
        except json.JSONDecodeError:
            # Many ".json" exports are really JSON Lines.
            yield from self._records_from_lines(url, size, fmt, text.encode("utf-8").splitlines(True))
            return
        if not objects:
            yield beam.pvalue.TaggedOutput(
                self.REJECTS, rejects.reject_row(url, rejects.NO_RECORDS, "empty JSON array", size)
            )
        for index, obj in enumerate(objects):
            yield self._record_or_reject(url, index, fmt, encoding, size, obj)

    def _read_whole(self, url, size):
        try:
            with files.open_input(url) as handle:
                data = handle.read(self.max_file_bytes + 1)
        except Exception as error:  # any fsspec/codec failure is this file's fault
            raise Rejected(rejects.READ_ERROR, f"{type(error).__name__}: {error}") from None
        if len(data) > self.max_file_bytes:
            raise Rejected(rejects.FILE_TOO_LARGE, f"over {self.max_file_bytes} bytes after decompression")
        return data

    def _read_jsonl(self, url, size):
        try:
            with files.open_input(url) as handle:
                yield from self._records_from_lines(url, size, "jsonl", self._lines(handle))
        except Rejected as error:
            yield beam.pvalue.TaggedOutput(self.REJECTS, rejects.reject_row(url, error.reason, error.detail, size))
        except Exception as error:
            yield beam.pvalue.TaggedOutput(
                self.REJECTS,
                rejects.reject_row(url, rejects.READ_ERROR, f"{type(error).__name__}: {error}", size),
            )

    def _lines(self, handle):
        """Lines of at most ``max_record_bytes``; a longer line is returned
        as ``None`` after skipping it, so memory stays bounded."""
        handle = io.BufferedReader(handle)  # zstd readers have no readline
        while True:
            line = handle.readline(self.max_record_bytes + 1)
            if not line:
                return
            if len(line) > self.max_record_bytes and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):
                    line = handle.readline(self.max_record_bytes + 1)
                yield None
            else:
                yield line

    def _records_from_lines(self, url, size, fmt, lines):
        seen = 0
        for index, line in enumerate(lines):
            if line is None:
                seen += 1
                yield beam.pvalue.TaggedOutput(
                    self.REJECTS,
                    rejects.reject_row(
                        url, rejects.RECORD_TOO_LARGE,
                        f"line {index + 1} is over {self.max_record_bytes} bytes", size, index,
                    ),
                )
                continue
            if not line.strip():
                continue
            seen += 1
            try:
                text, encoding = decode_bytes(line)
                obj = parse_json(text)
            except Rejected as error:
                yield beam.pvalue.TaggedOutput(
                    self.REJECTS,
                    rejects.reject_row(url, error.reason, f"line {index + 1}: {error.detail}", size, index),
                )
                continue
            except json.JSONDecodeError as error:
                yield beam.pvalue.TaggedOutput(
                    self.REJECTS,
                    rejects.reject_row(url, rejects.MALFORMED_JSON, f"line {index + 1}: {error}", size, index),
                )
                continue
            yield self._record_or_reject(url, index, fmt, encoding, size, obj)
        if not seen:
            yield beam.pvalue.TaggedOutput(
                self.REJECTS, rejects.reject_row(url, rejects.NO_RECORDS, "no non-blank line", size)
            )

    def _record_or_reject(self, url, index, fmt, encoding, size, obj):
        try:
            fields = fields_from_object(obj)
        except Rejected as error:
            return beam.pvalue.TaggedOutput(
                self.REJECTS, rejects.reject_row(url, error.reason, error.detail, size, index)
            )
        return self._record(url, index, fmt, encoding, size, fields)

    @staticmethod
    def _record(url, index, fmt, encoding, size, fields):
        record = {column: None for column in FIELD_NAMES}
        record.update(fields)
        record.update(
            article_id=article_id(url, index),
            input_path=url,
            record_index=index,
            input_format=fmt,
            encoding=encoding,
            size_bytes=size,
        )
        return record


class ReadArticleFiles(beam.PTransform):
    """Every file the inputs name, read into raw article records.

    Output: a tuple ``(files_matched, records, rejects)`` of PCollections.
    """

    def __init__(self, inputs, manifest=None, max_file_bytes=DEFAULT_MAX_FILE_BYTES,
                 max_record_bytes=DEFAULT_MAX_RECORD_BYTES):
        super().__init__()
        self.inputs = list(inputs)
        self.manifest = manifest
        self.max_file_bytes = max_file_bytes
        self.max_record_bytes = max_record_bytes

    def expand(self, pipeline):
        listed = (
            pipeline
            | "Inputs" >> beam.Create(self.inputs)
            | "ListFiles" >> beam.ParDo(ListFilesFn(self.inputs, self.manifest)).with_outputs(
                ListFilesFn.REJECTS, ListFilesFn.UNREADABLE_NAMES, main="files")
        )
        unreadable = listed[ListFilesFn.UNREADABLE_NAMES] | "OncePerUnreadableName" >> beam.Distinct()
        name_rejects = unreadable | "NameRejects" >> beam.MapTuple(
            lambda name, size: rejects.reject_row(name, rejects.UNDECODABLE, "the file name is not UTF-8", size))
        matched = listed.files | "OncePerFile" >> beam.Distinct()
        outputs = matched | "Read" >> beam.ParDo(
            ReadFileFn(self.max_file_bytes, self.max_record_bytes)
        ).with_outputs(ReadFileFn.REJECTS, main="records")
        rejected = (listed[ListFilesFn.REJECTS], name_rejects, outputs[ReadFileFn.REJECTS]) | "ReadRejects" >> beam.Flatten()
        every_file = (matched, unreadable) | "EveryFile" >> beam.Flatten()
        return every_file, outputs.records, rejected
