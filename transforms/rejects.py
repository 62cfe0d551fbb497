"""Rejected input: every reason a file or record can be turned away, and the
row it leaves in the rejects table. Nothing is dropped without one."""

NO_MATCH = "no_match"
EMPTY_FILE = "empty_file"
BINARY_FILE = "binary_file"
UNDECODABLE = "undecodable"
UNSUPPORTED_FORMAT = "unsupported_format"
READ_ERROR = "read_error"
FILE_TOO_LARGE = "file_too_large"
RECORD_TOO_LARGE = "record_too_large"
MALFORMED_JSON = "malformed_json"
NOT_AN_OBJECT = "not_an_object"
NO_RECORDS = "no_records"
MISSING_TEXT = "missing_text"
TEXT_TOO_LONG = "text_too_long"
TITLE_TOO_LONG = "title_too_long"
ONLY_BOILERPLATE = "only_boilerplate"

#: Every reason; SCHEMA.md says what each means.
REASONS = (
    NO_MATCH, EMPTY_FILE, BINARY_FILE, UNDECODABLE, UNSUPPORTED_FORMAT, READ_ERROR, FILE_TOO_LARGE,
    RECORD_TOO_LARGE, MALFORMED_JSON, NOT_AN_OBJECT, NO_RECORDS, MISSING_TEXT, TEXT_TOO_LONG,
    TITLE_TOO_LONG, ONLY_BOILERPLATE,
)

_DETAIL_CHARS = 500


class Rejected(Exception):
    """Raised by the plain functions; the stage's DoFn turns it into a row."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def reject_row(input_path, reason, detail, size_bytes=None, record_index=None, date=None, source=None):
    """A row of the rejects table (partition columns included)."""
    return {
        "input_path": input_path,
        "record_index": record_index,
        "reason": reason,
        "detail": (detail or "")[:_DETAIL_CHARS],
        "size_bytes": size_bytes,
        "date": date,
        "source": source,
    }


def reject_record(record, error):
    """The rejects row for a record that a later stage turned away."""
    return reject_row(
        record["input_path"],
        error.reason,
        error.detail,
        size_bytes=record.get("size_bytes"),
        record_index=record.get("record_index"),
        date=record.get("date"),
        source=record.get("source"),
    )
