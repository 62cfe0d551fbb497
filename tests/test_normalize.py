import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms import rejects
from transforms.normalize import NormalizeArticles, normalize_article
from transforms.rejects import Rejected


def record(text, title="عنوان", **extra):
    base = {"input_path": "/in/a.txt", "record_index": 0, "size_bytes": 10, "title": title,
            "text": text, "source_name": None, "date": None, "source": None}
    base.update(extra)
    return base


def test_normalize_cleans_title_text_and_counts():
    out = normalize_article(record("  فقرة\u200f أولى \n\n\nفقرة\u00a0ثانية ", title=" عنوان\nطويل ",
                                   source_name=" الشرق\u200b الأوسط "))
    assert out["text"] == "فقرة أولى\nفقرة ثانية"
    assert out["title"] == "عنوان طويل"
    assert out["source_name"] == "الشرق الأوسط"
    assert (out["char_count"], out["paragraph_count"]) == (len(out["text"]), 2)


@pytest.mark.parametrize(
    "text, title, reason",
    [
        ("", "t", rejects.MISSING_TEXT),
        (None, "t", rejects.MISSING_TEXT),
        ("\u200f\u200b \n", "t", rejects.MISSING_TEXT),
        ("ا" * 101, "t", rejects.TEXT_TOO_LONG),
        ("ا" * 1000, "t", rejects.TEXT_TOO_LONG),
        ("نص", "ع" * 11, rejects.TITLE_TOO_LONG),
    ],
)
def test_normalize_rejects(text, title, reason):
    with pytest.raises(Rejected) as error:
        normalize_article(record(text, title=title), max_article_chars=100, max_title_chars=10)
    assert error.value.reason == reason


def test_normalize_transform_splits_articles_and_rejects():
    records = [record("نص المقال", record_index=0), record("", record_index=1, date="2024-01-02", source="s")]
    with TestPipeline() as p:
        articles, rejected = p | beam.Create(records) | NormalizeArticles()
        assert_that(articles | beam.FlatMap(lambda batch: batch) | beam.Map(lambda r: (r["record_index"], r["text"])), equal_to([(0, "نص المقال")]),
                    label="articles")
        assert_that(
            rejected | beam.Map(lambda r: (r["record_index"], r["reason"], r["date"], r["source"])),
            equal_to([(1, rejects.MISSING_TEXT, "2024-01-02", "s")]),
            label="rejects",
        )
