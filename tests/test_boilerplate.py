import json

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms import boilerplate as bp
from transforms.boilerplate import RemoveBoilerplate, load_rules, remove_boilerplate, structural_reason
from transforms.spill import Spilled

RULES = load_rules()
BODY = [
    "قال وزير الخارجية إن المحادثات بين البلدين كانت بناءة ومثمرة وتناولت ملفات عدة.",
    "وأضاف أن الجانبين اتفقا على مواصلة التعاون في مجالات الطاقة والتجارة والاستثمار.",
    "وأشار إلى أن الزيارة المقبلة ستكون في العاصمة خلال الشهر المقبل بحسب مصادر مطلعة.",
]


def article(paragraphs, title="عنوان الخبر الرئيسي", input_format="json", article_id="a1", source="s"):
    return {"article_id": article_id, "title": title, "text": "\n".join(paragraphs), "input_format": input_format,
            "date": None, "source": source, "input_path": f"/in/{article_id}.json", "record_index": 0,
            "size_bytes": 100}


@pytest.mark.parametrize(
    "line, reason",
    [
        ("TT", bp.NO_ARABIC),
        ("play-circle 01:41", bp.NO_ARABIC),
        ("شاهد ايضاً: الحزب الحاكم في اليابان يستعد لفقدان أغلبيته", bp.SEE_ALSO),
        ("اقرأ أيضا - تفاصيل الاتفاق النووي", bp.SEE_ALSO),
        ("يعرضان اتفاقية «التعاون الاستراتيجي الشامل» (رويترز)", bp.CAPTION),
        ("جنود باكستانيون (رويترز - أرشيفية)", bp.CAPTION),
        ("الموكب الرئاسي في بيونغ يانغ (إ.ب.أ)", bp.CAPTION),
        ("لقطة من الاجتماع (AFP)", bp.CAPTION),
        ("(فرانس برس، رويترز)", bp.CREDIT),
        ("(أ.ف.ب)", bp.CREDIT),
        ("الرأي الثالث - وكالات", bp.CREDIT),
        ("«الشرق الأوسط» (كييف)", bp.BYLINE),
        ("إيلي يوسف (واشنطن)", bp.BYLINE),
        ("رفض مساعدو الكرملين تصريحات ترامب. تفاصيل مثيرة حول الشراكة. خَبَرَيْن.", bp.SITE_BLURB),
        ("تابعونا على تويتر وفيسبوك للمزيد من الأخبار", bp.PATTERN),
        ("جميع الحقوق محفوظة لموقع الأخبار 2024", bp.PATTERN),
        ("المصدر: وكالة الأنباء الرسمية", bp.PATTERN),
        ("كتبت سارة علي", bp.PATTERN),
        ("نشر في: الأحد 2 يونيو 2024 - 20:05 بتوقيت أبوظبي", bp.TIMESTAMP),
        ("آخر تحديث: 21/8/2024 14:20 (بتوقيت مكة المكرمة)", bp.TIMESTAMP),
        ("الخميس، ٢٢ أغسطس ٢٠٢٤ ٠١:٣٠ م", bp.TIMESTAMP),
        ("دبي - العربية.نت", bp.DATELINE),
        ("العربية.نت", bp.DATELINE),
        ("هسبريس - مريم الإدريسي", bp.DATELINE),
        ("ناخبون أمام مركز اقتراع (الجزيرة)", bp.CAPTION),
    ],
)
def test_structural_rules_catch_chrome(line, reason):
    assert structural_reason(line, RULES) == reason


@pytest.mark.parametrize(
    "line",
    BODY + [
        "وقال المتحدث إن «الوضع مستقر» (في إشارة إلى الحدود).",
        "قال الجيش الأوكراني اليوم (الأحد) إن وحدات الدفاع الجوي دمرت أكثر من 10 طائرات مسيرة روسية.",
        "ونقلت قناة CCTV الصينية الرسمية عن شي قوله: يجب أن نعمل معًا.",
        "بوتين وشي وكيم يجتمعان في بكين للمرة الأولى",
        "وقال محللون لوكالة رويترز إن الاجتماع دليل على تأثير الرئيس الصيني (رويترز).",
        "وتتولى الشرق الأوسط تغطية الحدث من بيروت.",
        "وتأسست منظمة شنغهاي للتعاون في عام 2001 (ومقرها بكين)",
        "انطلقت المباراة عند الساعة 20:00 بتوقيت القاهرة وسط حضور جماهيري كبير",
        "كتب الرئيس رسالة مطولة إلى البرلمان يشرح فيها أسباب القرار وتداعياته على الاقتصاد.",
        "الاقتصاد المصري - تحديات وفرص",
        "وقال مراسل الجزيرة إن القصف استمر حتى ساعات الصباح الأولى.",
    ],
)
def test_structural_rules_keep_body_text(line):
    assert structural_reason(line, RULES) is None


def test_end_marker_drops_itself_and_everything_after():
    doc = article(BODY[:2] + ["مقالات ذات صلة", "عنوان مقال آخر", BODY[2]])
    cleaned, removed = remove_boilerplate(doc, RULES)
    assert cleaned["text"].split("\n") == BODY[:2]
    assert [(r["paragraph_index"], r["reason"]) for r in removed] == [
        (2, bp.RELATED_BLOCK), (3, bp.RELATED_BLOCK), (4, bp.RELATED_BLOCK)]


def test_a_comment_form_is_chrome_wherever_it_stands():
    """A WordPress comment form, common to many sites, once linked two
    unrelated articles as shared text (issue 13)."""
    form = ["اترك تعليقاً", "لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *",
            "التعليق *", "الاسم *", "البريد الإلكتروني *",
            "احفظ اسمي، بريدي الإلكتروني، والموقع الإلكتروني في هذا المتصفح لاستخدامها المرة المقبلة في تعليقي."]
    cleaned, removed = remove_boilerplate(article(BODY + form), RULES)
    assert cleaned["text"].split("\n") == BODY and len(removed) == len(form)
    cleaned, _ = remove_boilerplate(article(BODY[:2] + form[1:2] + BODY[2:]), RULES)
    assert cleaned["text"].split("\n") == BODY


def test_a_lone_link_marker_takes_the_headline_after_it():
    doc = article([BODY[0], "اقرأ أيضا", "ما الذي ينتظر الاقتصاد في السنوات المقبلة؟", BODY[1], "شاهد أيضاً", BODY[2]])
    cleaned, removed = remove_boilerplate(doc, RULES)
    assert cleaned["text"].split("\n") == BODY
    assert [(r["paragraph_index"], r["reason"]) for r in removed] == [(1, bp.SEE_ALSO), (2, bp.SEE_ALSO), (4, bp.SEE_ALSO)]


def test_repeats_and_repeated_title_go_after_their_first_occurrence():
    doc = article([BODY[0], "عنوانُ الخبر الرئيسي", BODY[1], BODY[0].replace("إن", "ان"), BODY[2]])
    cleaned, removed = remove_boilerplate(doc, RULES)
    assert cleaned["text"].split("\n") == BODY
    assert [(r["paragraph_index"], r["reason"], r["layer"]) for r in removed] == [
        (1, bp.REPEATED_TITLE, "repeat"), (3, bp.REPEAT, "repeat")]
    assert cleaned["removed_paragraph_count"] == 2 and cleaned["paragraph_count"] == 3


def test_txt_title_is_the_first_line_that_is_not_chrome():
    doc = article(["بوتين خلال قمة مع شي", "الرأي الثالث - وكالات"] + BODY, title="Logo", input_format="txt")
    cleaned, removed = remove_boilerplate(doc, RULES)
    assert cleaned["title"] == "بوتين خلال قمة مع شي"
    assert cleaned["text"].split("\n") == BODY
    assert [(r["paragraph_index"], r["reason"]) for r in removed] == [(0, bp.NO_ARABIC), (2, bp.CREDIT)]


def test_json_title_is_kept_as_given():
    cleaned, removed = remove_boilerplate(article(BODY, title="TT"), RULES)
    assert cleaned["title"] == "TT" and cleaned["text"].split("\n") == BODY and removed == []


def test_source_keys_remove_corpus_boilerplate():
    footer = "تابع آخر الأخبار على موقعنا في كل وقت"
    doc = article(BODY + [footer])
    codes = np.sort(bp.source_paragraph_codes([doc.get("source")], [[bp.matching_key(footer)]]))
    cleaned, removed = remove_boilerplate(doc, RULES, codes)
    assert cleaned["text"].split("\n") == BODY
    assert [(r["reason"], r["layer"]) for r in removed] == [(bp.SOURCE_BOILERPLATE, "corpus")]


def test_a_batch_is_cleaned_as_each_record_alone():
    footer = "تابع آخر الأخبار على موقعنا في كل وقت"
    docs = [article(["عنوان الخبر"] + BODY + [footer], article_id="a", title="Logo", input_format="txt"),
            article([], article_id="b"), article(BODY[:1] + ["(رويترز)"] + [footer], article_id="c", source="t")]
    codes = np.sort(bp.source_paragraph_codes(["s"], [[bp.matching_key(footer)]]))
    cleaned = bp.remove_boilerplate_from_many(bp.keyed_batch(docs), RULES, codes)
    assert cleaned == [remove_boilerplate(d, RULES, codes) for d in docs]
    # the code is the source's: the same footer in source t is kept
    assert footer in cleaned[2][0]["text"]
    assert footer not in cleaned[0][0]["text"]


def test_user_patterns_extend_the_shipped_ones(tmp_path):
    extra = tmp_path / "mine.json"
    extra.write_text(json.dumps({"site_names": ["موقعنا"], "end_markers": ["نهاية الصفحة"]}, ensure_ascii=False))
    rules = load_rules(str(extra))
    assert structural_reason("للمزيد من التفاصيل زوروا موقعنا", rules) == bp.SITE_BLURB
    assert structural_reason("للمزيد من التفاصيل زوروا موقعنا", RULES) is None
    assert "مقالات ذات صله" in rules.end_markers and "نهايه الصفحه" in rules.end_markers


def _texts(batches, label):
    return batches | label >> beam.FlatMap(lambda batch: [(a["article_id"], a["text"]) for a in batch])


def test_layer_two_needs_k_distinct_articles_of_the_same_source():
    footer = "تابع آخر الأخبار على موقعنا في كل وقت"
    docs = [article([BODY[i % 3], footer], article_id=f"s{i}", source="s") for i in range(3)]
    docs += [article([BODY[i % 3], footer], article_id=f"t{i}", source="t") for i in range(2)]
    # exact copies of one article count once
    docs += [article([BODY[0], BODY[1], footer], article_id=f"u{i}", source="u") for i in range(4)]
    with TestPipeline() as p:
        articles, removed, rejected = p | beam.Create([docs]) | RemoveBoilerplate(min_source_docs=3)
        assert_that(
            _texts(articles, "Texts"),
            equal_to([(f"s{i}", BODY[i % 3]) for i in range(3)]
                     + [(f"t{i}", f"{BODY[i % 3]}\n{footer}") for i in range(2)]
                     + [(f"u{i}", f"{BODY[0]}\n{BODY[1]}\n{footer}") for i in range(4)]),
            label="articles",
        )
        assert_that(removed | beam.FlatMap(lambda rows: [(r["article_id"], r["reason"]) for r in rows]),
                    equal_to([(f"s{i}", bp.SOURCE_BOILERPLATE) for i in range(3)]), label="removed")
        assert_that(rejected, equal_to([]), label="rejects")


def test_article_that_is_all_chrome_is_rejected_with_its_reasons():
    docs = [article(["TT", "(رويترز)"], article_id="x")]
    with TestPipeline() as p:
        articles, removed, rejected = p | beam.Create([docs]) | RemoveBoilerplate()
        assert_that(articles, equal_to([]), label="articles")
        assert_that(removed | beam.Map(lambda rows: [r["reason"] for r in rows]), equal_to([[bp.NO_ARABIC, bp.CREDIT]]),
                    label="removed")
        assert_that(rejected | beam.Map(lambda r: (r["reason"], r["detail"])),
                    equal_to([("only_boilerplate", "credit: 1, no_arabic: 1")]), label="rejects")


def test_layer_two_never_takes_the_whole_body():
    # The same story three times under different titles: not exact copies,
    # so every body paragraph is in three articles of the source.
    docs = [article(BODY, article_id=f"r{i}", title=f"عنوان رقم {i}", input_format="txt") for i in range(3)]
    with TestPipeline() as p:
        articles, _, rejected = p | beam.Create([docs]) | RemoveBoilerplate(min_source_docs=3)
        assert_that(articles | beam.FlatMap(lambda batch: batch) | beam.Map(lambda a: a["text"].split("\n")), equal_to([BODY] * 3), label="articles")
        assert_that(rejected, equal_to([]), label="rejects")


def test_no_articles_and_no_frequent_paragraphs_give_empty_outputs():
    with TestPipeline() as p:
        articles, removed, rejected = p | beam.Create([]) | RemoveBoilerplate()
        assert_that(articles, equal_to([]), label="articles")
        assert_that(removed, equal_to([]), label="removed")
        assert_that(rejected, equal_to([]), label="rejects")


def test_without_frequent_paragraphs_layer_two_removes_nothing():
    # one article per source: no paragraph reaches K articles, the side input is empty
    docs = [article([BODY[0], "تابع آخر الأخبار على موقعنا في كل وقت"], article_id=f"o{i}", source=f"s{i}")
            for i in range(3)]
    with TestPipeline() as p:
        articles, removed, _ = p | beam.Create([docs]) | RemoveBoilerplate(min_source_docs=2)
        assert_that(articles | beam.FlatMap(lambda batch: batch) | beam.Map(lambda a: a["paragraph_count"]), equal_to([2, 2, 2]), label="articles")
        assert_that(removed, equal_to([]), label="removed")


def test_keyed_batches_wait_for_layer_two_spilled_by_the_worker_that_made_them():
    records = [{"article_id": f"k{i}", "title": "عنوان", "text": "فقرة أولى\nفقرة ثانية" * (i + 1), "source": "s"}
               for i in range(3)]
    spilled, *shards = bp.keys_of(records, 4)
    coder = beam.coders.registry.get_coder(Spilled)
    assert isinstance(spilled, Spilled) and coder.encode(spilled) == spilled.encoded
    back = coder.decode(coder.encode(spilled)).value()
    assert isinstance(back, bp.KeyedBatch)
    batch = bp.keyed_batch(records)
    assert back.records == batch.records and back.keys_per_article == batch.keys_per_article
    assert np.array_equal(back.codes, batch.codes)
    assert all(output.tag == bp.SHARDS for output in shards)
    assert [output.value for output in shards] == bp.shard_paragraph_codes(batch, 4)