import json

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import ARABIC_BODY, jsonl, write
from transforms import rejects
from transforms.read import (
    ReadArticleFiles,
    article_id,
    decode_bytes,
    fields_from_object,
    html_to_text,
    input_format,
    objects_in_json,
    parse_txt,
)
from transforms.rejects import Rejected

ARABIC = "قال الرئيس إن العلاقات بين البلدين ممتازة"


def test_decode_utf8_with_and_without_bom():
    assert decode_bytes(ARABIC.encode("utf-8")) == (ARABIC, "utf-8")
    assert decode_bytes(b"\xef\xbb\xbf" + ARABIC.encode("utf-8")) == (ARABIC, "utf-8-sig")


def test_decode_utf16_with_bom():
    assert decode_bytes(ARABIC.encode("utf-16")) == (ARABIC, "utf-16")


def test_decode_windows_1256_arabic():
    assert decode_bytes(ARABIC.encode("windows-1256")) == (ARABIC, "windows-1256")


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", rejects.EMPTY_FILE),
        (b" \n\t\n", rejects.EMPTY_FILE),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), rejects.BINARY_FILE),
        ("Le président a déclaré à la télévision française".encode("latin-1"), rejects.UNDECODABLE),
        (b"\xef\xbb\xbf\xff\xfe broken", rejects.UNDECODABLE),
    ],
)
def test_decode_rejects(data, reason):
    with pytest.raises(Rejected) as error:
        decode_bytes(data)
    assert error.value.reason == reason


def test_parse_txt_first_nonempty_line_is_title():
    assert parse_txt("\n\n  عنوان الخبر  \n\nالفقرة الأولى\nالفقرة الثانية\n") == (
        "عنوان الخبر",
        "\nالفقرة الأولى\nالفقرة الثانية",
    )
    assert parse_txt("\n \n") == (None, "")


def test_fields_by_usual_names_case_and_nesting():
    fields = fields_from_object(
        {
            "ID": 17,
            "Link": "https://example.com/a",
            "source": {"id": None, "name": "Al Jazeera"},
            "pubDate": "2024-06-19",
            "headline": "عنوان",
            "articleBody": ["فقرة أولى", "فقرة ثانية"],
        }
    )
    assert fields == {
        "record_id": "17",
        "url": "https://example.com/a",
        "source_name": "Al Jazeera",
        "published": "2024-06-19",
        "title": "عنوان",
        "text": "فقرة أولى\nفقرة ثانية",
    }


def test_fields_prefer_first_usual_name_and_skip_empty_values():
    fields = fields_from_object({"text": "", "body": "النص", "content": "غيره", "date": 1718791200})
    assert fields["text"] == "النص"
    assert fields["published"] == 1718791200


def test_fields_of_non_object_is_rejected():
    with pytest.raises(Rejected) as error:
        fields_from_object(["a", "b"])
    assert error.value.reason == rejects.NOT_AN_OBJECT


def test_html_body_becomes_text():
    assert html_to_text("<p>فقرة <b>أولى</b></p><p>ثانية &amp; ثالثة</p>") == "فقرة أولى\nثانية & ثالثة\n"
    assert html_to_text("نص عادي < 5") == "نص عادي < 5"


def test_objects_in_json_containers():
    assert objects_in_json([{"a": 1}]) == [{"a": 1}]
    assert objects_in_json({"articles": [{"a": 1}, {"a": 2}]}) == [{"a": 1}, {"a": 2}]
    assert objects_in_json({"text": "x"}) == [{"text": "x"}]


def test_input_format_sees_through_compression():
    assert input_format("gs://b/x/a.jsonl.zst") == "jsonl"
    assert input_format("/x/a.TXT.gz") == "txt"
    assert input_format("/x/a.json.bz2") == "json"
    assert input_format("/x/a.pdf") is None
    assert input_format("/x/manifest") is None


def test_article_id_is_stable_and_distinct():
    assert article_id("/a.txt", 0) == article_id("/a.txt", 0)
    assert len({article_id("/a.txt", 0), article_id("/a.txt", 1), article_id("/b.txt", 0)}) == 3


def _record_summary(record):
    return (record["input_path"].rsplit("/", 1)[-1], record["record_index"], record["input_format"],
            record["encoding"], record["title"], record["text"])


def _reject_summary(row):
    return (row["input_path"].rsplit("/", 1)[-1], row["record_index"], row["reason"])


def test_read_every_format_and_compression(tmp_path):
    body = ARABIC_BODY
    obj = {"title": "عنوان", "text": body}
    write(tmp_path / "a.txt", f"عنوان\n{body}")
    write(tmp_path / "sub" / "deeper" / "b.txt.gz", f"عنوان\n{body}")
    write(tmp_path / "c.json.bz2", json.dumps(obj, ensure_ascii=False))
    write(tmp_path / "d.jsonl.zst", jsonl(obj, obj))
    write(tmp_path / "e.json", json.dumps({"articles": [obj]}, ensure_ascii=False))
    write(tmp_path / "f.txt", f"عنوان\n{body}".encode("windows-1256"))
    write(tmp_path / "g.txt", b"\xef\xbb\xbf" + f"عنوان\n{body}".encode("utf-8"))
    expected = [
        ("a.txt", 0, "txt", "utf-8", "عنوان", body),
        ("b.txt.gz", 0, "txt", "utf-8", "عنوان", body),
        ("c.json.bz2", 0, "json", "utf-8", "عنوان", body),
        ("d.jsonl.zst", 0, "jsonl", "utf-8", "عنوان", body),
        ("d.jsonl.zst", 1, "jsonl", "utf-8", "عنوان", body),
        ("e.json", 0, "json", "utf-8", "عنوان", body),
        ("f.txt", 0, "txt", "windows-1256", "عنوان", body),
        ("g.txt", 0, "txt", "utf-8-sig", "عنوان", body),
    ]
    with TestPipeline() as p:
        matched, records, rejected = p | ReadArticleFiles([str(tmp_path)])
        assert_that(records | beam.Map(_record_summary), equal_to(expected), label="records")
        assert_that(rejected, equal_to([]), label="rejects")
        assert_that(matched | beam.combiners.Count.Globally(), equal_to([7]), label="matched")


def test_read_bad_files_become_rejects(tmp_path):
    write(tmp_path / "empty.txt", b"")
    write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))
    write(tmp_path / "french.txt", "Le président a déclaré à la télévision".encode("latin-1"))
    write(tmp_path / "lines.jsonl", jsonl({"text": "نص"}) + '{"text": broken\n\n' + jsonl([1, 2]))
    write(tmp_path / "blank.jsonl", "\n\n")
    write(tmp_path / "array.json", "[]")
    (tmp_path / "broken.txt.gz").write_bytes(b"this is not gzip data")
    write(tmp_path / "report.pdf", b"%PDF-1.4")
    expected_rejects = [
        ("empty.txt", None, rejects.EMPTY_FILE),
        ("image.txt", None, rejects.BINARY_FILE),
        ("french.txt", None, rejects.UNDECODABLE),
        ("lines.jsonl", 1, rejects.MALFORMED_JSON),
        ("lines.jsonl", 3, rejects.NOT_AN_OBJECT),
        ("blank.jsonl", None, rejects.NO_RECORDS),
        ("array.json", None, rejects.NO_RECORDS),
        ("broken.txt.gz", None, rejects.READ_ERROR),
        ("report.pdf", None, rejects.UNSUPPORTED_FORMAT),
    ]
    with TestPipeline() as p:
        _, records, rejected = p | ReadArticleFiles([str(tmp_path)])
        assert_that(rejected | beam.Map(_reject_summary), equal_to(expected_rejects), label="rejects")
        assert_that(records | beam.Map(lambda r: (r["record_index"], r["text"])), equal_to([(0, "نص")]))


def test_read_limits_keep_memory_bounded(tmp_path):
    big = "ا" * 3000
    write(tmp_path / "big.jsonl", jsonl({"text": big}, {"text": "نص قصير"}))
    write(tmp_path / "big.txt", f"عنوان\n{big}")
    with TestPipeline() as p:
        _, records, rejected = p | ReadArticleFiles([str(tmp_path)], max_file_bytes=1000, max_record_bytes=1000)
        assert_that(
            rejected | beam.Map(_reject_summary),
            equal_to([("big.jsonl", 0, rejects.RECORD_TOO_LARGE), ("big.txt", None, rejects.FILE_TOO_LARGE)]),
            label="rejects",
        )
        assert_that(records | beam.Map(lambda r: (r["record_index"], r["text"])), equal_to([(1, "نص قصير")]))


def test_an_input_that_names_nothing_is_a_reject(tmp_path):
    write(tmp_path / "a.txt", f"عنوان\n{ARABIC_BODY}")
    missing = str(tmp_path / "no-such-folder")
    with TestPipeline() as p:
        matched, records, rejected = p | ReadArticleFiles([str(tmp_path), missing, str(tmp_path / "*.json")])
        assert_that(
            rejected | beam.Map(lambda r: (r["input_path"], r["reason"])),
            equal_to([(missing, rejects.NO_MATCH), (str(tmp_path / "*.json"), rejects.NO_MATCH)]),
            label="rejects",
        )
        assert_that(records | beam.Map(lambda r: r["title"]), equal_to(["عنوان"]), label="records")


def test_read_globs_and_overlapping_inputs_read_each_file_once(tmp_path):
    write(tmp_path / "x" / "a.txt", f"عنوان\n{ARABIC_BODY}")
    write(tmp_path / "x" / "b.json", json.dumps({"text": ARABIC_BODY}))
    write(tmp_path / "x" / "manifest.jsonl", jsonl({"path": "a.txt", "source": "s"}))
    inputs = [str(tmp_path / "x"), str(tmp_path / "x" / "*.txt"), str(tmp_path / "x" / "a.txt")]
    with TestPipeline() as p:
        matched, records, rejected = p | ReadArticleFiles(inputs)
        assert_that(
            records | beam.Map(lambda r: r["input_path"].rsplit("/", 1)[-1]), equal_to(["a.txt", "b.json"])
        )
        assert_that(rejected, equal_to([]), label="rejects")
