import datetime as dt

import pytest

from transforms.dates import date_from_path, date_from_text, parse_date_value, run_date
from transforms.sources import slugify_source, source_from_path, source_from_url

D = dt.date


@pytest.mark.parametrize(
    "value, expected_date, expected_utc",
    [
        ("2024-06-19", D(2024, 6, 19), None),
        ("2024-06-19T23:30:00+03:00", D(2024, 6, 19), dt.datetime(2024, 6, 19, 20, 30, tzinfo=dt.timezone.utc)),
        ("2024-06-19T10:00:00Z", D(2024, 6, 19), dt.datetime(2024, 6, 19, 10, tzinfo=dt.timezone.utc)),
        ("2024/6/9", D(2024, 6, 9), None),
        ("20240619", D(2024, 6, 19), None),
        ("19/06/2024", D(2024, 6, 19), None),
        ("٢٠٢٤-٠٦-١٩", D(2024, 6, 19), None),
        ("Wed, 19 Jun 2024 10:00:00 GMT", D(2024, 6, 19), dt.datetime(2024, 6, 19, 10, tzinfo=dt.timezone.utc)),
        (1718791200, D(2024, 6, 19), dt.datetime(2024, 6, 19, 10, tzinfo=dt.timezone.utc)),
        (1718791200000, D(2024, 6, 19), dt.datetime(2024, 6, 19, 10, tzinfo=dt.timezone.utc)),
        ("1718791200", D(2024, 6, 19), dt.datetime(2024, 6, 19, 10, tzinfo=dt.timezone.utc)),
    ],
)
def test_parse_date_value(value, expected_date, expected_utc):
    assert parse_date_value(value) == (expected_date, expected_utc)


@pytest.mark.parametrize("value", [None, "", "tomorrow", "2024-13-45", "1850-01-01", "9999-01-01", True, "31/02/2024"])
def test_parse_date_value_rejects_nonsense(value):
    assert parse_date_value(value) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("موسكو - ١٩ حزيران ٢٠٢٤: وقع الزعيمان", D(2024, 6, 19)),
        ("بيونغ يانغ في 19 يونيو/ حزيران 2024 (رويترز)", D(2024, 6, 19)),
        ("يوم 3 من سبتمبر عام 2025 شهد العرض", D(2025, 9, 3)),
        ("بتاريخ 3 أيلول، 2025", D(2025, 9, 3)),
        ("الثلاثاء 2 تشرين الأول 2024", D(2024, 10, 2)),
        ("الجزائر في 5 جوان 2023", D(2023, 6, 5)),
        ("نشر بتاريخ 2024-07-04 على الموقع", D(2024, 7, 4)),
        ("نشر بتاريخ 04/07/2024 على الموقع", D(2024, 7, 4)),
        ("أولا 1 يناير 2020 ثم 2 فبراير 2021", D(2020, 1, 1)),
    ],
)
def test_date_from_text(text, expected):
    assert date_from_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ["اليوم 3 سبتمبر شهدت بكين عرضا", "في يونيو/ حزيران 2024 وقعت", "العدد 2024 من 12 صفحة", "31 فبراير 2024"],
)
def test_date_from_text_needs_a_full_real_date(text):
    assert date_from_text(text) is None


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/data/source=aawsat/date=2024-06-19/a.txt", D(2024, 6, 19)),
        ("gs://bucket/aawsat/2024/06/19/a.json", D(2024, 6, 19)),
        ("/data/article_2024-06-19_3.txt", D(2024, 6, 19)),
        ("/data/20240619-putin.txt", D(2024, 6, 19)),
        ("/data/000_cca0c5f261136c2d.txt", None),
        ("/data/2024/a.txt", None),
    ],
)
def test_date_from_path(path, expected):
    assert date_from_path(path) == expected


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/data/source=aawsat/date=2024-06-19/a.txt", "aawsat"),
        ("gs://bucket/alrai/2024/06/19/a.json", "alrai"),
        ("/data/a.txt", None),
    ],
)
def test_source_from_path(path, expected):
    assert source_from_path(path) == expected


def test_source_from_url():
    assert source_from_url("https://www.aawsat.com/node/1") == "aawsat.com"
    assert source_from_url("https://m.alraimedia.com/x") == "alraimedia.com"
    assert source_from_url("not a url") is None
    assert source_from_url(None) is None


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Asharq Al-Awsat", "asharq-al-awsat"),
        ("الشرق الأوسط", "alshrq-alawst"),
        ("aawsat.com", "aawsat-com"),
        ("Émirats 24|7", "emirats-24-7"),
        ("../../etc/passwd", "etc-passwd"),
        ("..", None),
        ("  ", None),
        (None, None),
    ],
)
def test_slugify_source(name, expected):
    assert slugify_source(name) == expected


def test_slug_of_unspellable_name_is_a_stable_hash():
    assert slugify_source("日本経済") == slugify_source("日本経済")
    assert slugify_source("日本経済").startswith("src-")
    assert slugify_source("日本経済") != slugify_source("中国")


def test_slug_is_always_a_safe_folder_name():
    for name in ["a/b", "..\\..\\x", "x\x00y", "A" * 500, "~root", "$HOME", "C:\\x"]:
        slug = slugify_source(name)
        assert slug and len(slug) <= 64
        assert set(slug) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
        assert not slug.startswith("-") and not slug.endswith("-")


@pytest.mark.parametrize("value, expected", [
    ("2024-06-19", D(2024, 6, 19)), ("today", D(2024, 3, 1)), ("yesterday", D(2024, 2, 29)),
    ("today-0", D(2024, 3, 1)), ("Today-7", D(2024, 2, 23)),
])
def test_run_dates_may_count_back_from_the_launch_day(value, expected):
    assert run_date(value, today=D(2024, 3, 1)) == expected


@pytest.mark.parametrize("value", ["tomorrow", "today+1", "today-x", "2024-02-30"])
def test_run_dates_refuse_anything_else(value):
    with pytest.raises(ValueError):
        run_date(value, today=D(2024, 3, 1))
