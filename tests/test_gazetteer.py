import json

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from camel_tools.tokenizers.word import simple_word_tokenize
from hypothesis import example, given, settings, strategies as st

from tests.conftest import part_rows
from transforms.entities import AnnotateEntities, annotated, choose_annotator, entity_summary, resolved_mentions
from transforms.gazetteer import Gazetteer, annotate, load_spec, lookup_forms
from transforms.text import tokens_with_offsets

GAZETTEER = Gazetteer.load()


def found(text):
    return [(r["mention"], r["label"], r["canonical"], r["entity_id"]) for r in annotate(GAZETTEER, text)]


def test_tokens_are_camel_tools_tokens_with_offsets():
    text = "قال الرئيس (بوتين): «لن نتراجع»، وأضاف... 2024م! U.S.A و e-mail"
    tokens = tokens_with_offsets(text)
    assert [t for t, _, _ in tokens] == simple_word_tokenize(text)
    assert all(text[start:end] == token for token, start, end in tokens)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="بكين الصين،.؟!«»()-\n 0123456789abcو", max_size=80))
def test_tokenizer_matches_camel_tools_on_any_text(text):
    assert [t for t, _, _ in tokens_with_offsets(text)] == simple_word_tokenize(text)


def test_lookup_forms_strip_proclitics_and_the_lam_of_lil():
    assert lookup_forms("وبكين") == [(0, "وبكين"), (2, "كين"), (1, "بكين")]
    assert (0, "الصين") in lookup_forms("للصين")
    assert lookup_forms("بكين")[0] == (0, "بكين")


def test_clitics_spelling_variants_and_one_canonical_name():
    rows = found("وبكين ترحب. والتقى لفلاديمير بوتين وكيم يونغ أون بالصين، ثم كيم جونج أون وبوتن.")
    assert ("بكين", "LOC", "بكين", "loc/beijing") in rows
    assert ("فلاديمير بوتين", "PER", "فلاديمير بوتين", "per/vladimir-putin") in rows
    assert ("الصين", "LOC", "الصين", "loc/china") in rows
    kims = {r for r in rows if r[3] == "per/kim-jong-un"}
    assert {r[0] for r in kims} == {"كيم يونغ أون", "كيم جونج أون"} and {r[2] for r in kims} == {"كيم جونغ أون"}
    assert ("بوتن", "PER", "فلاديمير بوتين", "per/vladimir-putin") in rows


def test_lil_forms_are_kept_whole_and_diacritics_do_not_matter():
    rows = annotate(GAZETTEER, "قدم الدعم للصين وللأمم المتحدة ومُوسْكُو.")
    by_canonical = {r["canonical"]: r["mention"] for r in rows}
    assert by_canonical["الصين"] == "للصين"
    assert by_canonical["الأمم المتحدة"] == "للأمم المتحدة"
    assert by_canonical["موسكو"] == "مُوسْكُو"


def test_longest_alias_wins():
    assert found("أعلنت الأمم المتحدة") == [("الأمم المتحدة", "ORG", "الأمم المتحدة", "org/united-nations")]
    assert found("في كوريا الشمالية")[0][:2] == ("كوريا الشمالية", "LOC")


def test_nationality_adjectives_are_not_entities():
    assert found("قال المسؤول الروسي إن الحكومة الصينية والجامعات السعودية رحبت") == []
    assert [r[0] for r in found("أعلنت السعودية")] == ["السعودية"]


def test_context_rules_find_names_missing_from_the_lexicon():
    text = ("قال وزير الخارجية البريطاني إلكا فالتونين إن حزب الخضر سيدعم الخطة، وزار مدينة قلعة بيشة "
            "ثم ملعب الأمير مولاي عبد المنعم.\nوأضاف فالتونين أن الشركة تستهدف النمو.")
    rows = found(text)
    assert ("إلكا فالتونين", "PER", "إلكا فالتونين", None) in rows
    assert ("حزب الخضر", "ORG", "حزب الخضر", None) in rows
    assert ("قلعة", "LOC", "قلعة", None) in rows or ("قلعة بيشة", "LOC", "قلعة بيشة", None) in rows
    assert ("ملعب الأمير مولاي عبد المنعم", "LOC", "ملعب الأمير مولاي عبد المنعم", None) in rows
    # the surname alone later on is the same person; a definite cue before a verb is no organisation
    assert ("فالتونين", "PER", "إلكا فالتونين", None) in rows
    assert not any(r[0].startswith("الشركة") for r in rows)


def test_names_do_not_cross_line_breaks_and_prepositions_are_not_names():
    rows = found("قال الرئيس جون سميث\nسيزور الوفد مدينة\nحلب")
    assert ("جون سميث", "PER", "جون سميث", None) in rows
    assert all("\n" not in r[0] for r in rows)
    assert found("حصل على تأكيده على الخطة") == []
    # a preposition after "the Russian leader" ends the search for a name
    assert found("التقى كيم والزعيم الروسي في دار ضيافة الدولة") == []


def test_names_run_across_hyphens_and_through_long_chains():
    assert found("قال المدرب سيرغي ميلينكوفيتش-سافيتش إن الفريق جاهز") == [
        ("سيرغي ميلينكوفيتش-سافيتش", "PER", "سيرغي ميلينكوفيتش-سافيتش", None)]
    assert found("زار كيم جونغ-أون بكين")[0][:2] == ("كيم جونغ-أون", "PER")
    chain = "حمدان بن راشد بن سعيد آل فلاني"
    assert found(f"استقبل الشيخ {chain} الوفد") == [(chain, "PER", chain, None)]


def test_common_words_end_names_and_are_not_read_as_proclitic_and_name():
    assert [r[0] for r in found("وقال الوزير ناجي عيسى لضبط الأسعار")] == ["ناجي عيسى"]
    assert [r[0] for r in found("وأنهى السائق شارل لوكلير تدريجيا السباق")] == ["شارل لوكلير"]
    assert [r[0] for r in found("وأعلن بنك زينيث بأكثر من ذلك")] == ["بنك زينيث"]
    # "كريم" is read whole, not as ك + the name "ريم"; "بالوفد" is no surname
    assert [r[0] for r in found("والتقى كريم فتحي بالوفد")] == ["كريم فتحي"]


def test_a_cue_that_is_also_a_noun_needs_a_longer_name():
    assert found("نقل المصاب إلى مركز العزل") == []
    assert found("وأعلن مركز جونسون للفضاء أن") == [("مركز جونسون للفضاء", "ORG", "مركز جونسون للفضاء", None)]


def test_a_cue_before_an_ordinary_word_is_no_name_and_descriptors_stay_out():
    assert found("أسست شركة شحن جديدة فرعا") == [] and found("وقالت جمعية نسائية إن") == []
    assert [r[:2] for r in found("وتعمل شركة مياه الشرب على")] == [("شركة مياه الشرب", "ORG")]
    assert [r[:2] for r in found("صعدوا جبل عكمة القريب من المدينة")] == [("جبل عكمة", "LOC")]


def test_a_descriptor_is_not_part_of_the_name():
    assert found("ونشرت مجلة لوبوان الفرنسية تقريرا") == [("لوبوان", "ORG", "لوبوان", None)]


def test_a_first_name_that_is_also_a_word_needs_a_name_after_it():
    spec = load_spec()
    spec["ambiguous_first_names"] = ["أمل"]
    gazetteer = Gazetteer(spec)
    assert annotate(gazetteer, "فتح أمل جديد للسكان") == []
    assert [(r["mention"], r["label"]) for r in annotate(gazetteer, "وقالت أمل سجاتي إن")] == [("أمل سجاتي", "PER")]


@example(words=["جون", "لفلاديمير", "بوتين", "جون", "لفلاديمير"])  # a learned name ran into a found one
@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["وبكين", "لفلاديمير", "بوتين", "الرئيس", "جون-بول", "سميث", "مدينة", "حلب", "حزب",
                                 "العمال", "،", ".", "\n", "للصين", "وَ", "الروسي", "السعودية", "في", "قال"]),
                max_size=30))
def test_every_mention_slices_the_text_to_exactly_itself(words):
    text = " ".join(words)
    rows = annotate(GAZETTEER, text)
    for row in rows:
        assert text[row["start_char"]:row["end_char"]] == row["mention"]
        assert row["mention"] == row["mention"].strip() and row["mention"]
    spans = sorted((r["start_char"], r["end_char"]) for r in rows)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_user_lexicon_adds_entries_and_context_words(tmp_path):
    extra = tmp_path / "mine.json"
    extra.write_text(json.dumps({"entities": [{"id": "org/acme", "label": "ORG", "canonical": "أكمي للصناعات",
                                               "aliases": ["أكمي"]}]}, ensure_ascii=False))
    mine = Gazetteer.load(str(extra))
    assert [(r["canonical"], r["entity_id"]) for r in annotate(mine, "أعلنت أكمي أرباحها")] == [("أكمي للصناعات", "org/acme")]
    assert annotate(GAZETTEER, "أعلنت أكمي أرباحها") == []


def test_model_spans_get_lexicon_names_without_their_proclitic():
    text = "زار وبكين ثم فلان الفلاني"
    mentions = resolved_mentions(GAZETTEER, text, [(4, 9, "LOC"), (13, 25, "PER")])
    assert mentions[0] == {"mention": "بكين", "label": "LOC", "start_char": 5, "end_char": 9, "canonical": "بكين",
                           "entity_id": "loc/beijing"}
    assert mentions[1]["canonical"] == "فلان الفلاني" and mentions[1]["entity_id"] is None


def test_summary_counts_distinct_entities_most_mentioned_first():
    rows = [{"canonical": "بكين", "entity_id": "loc/beijing", "label": "LOC"}] * 2 + [
        {"canonical": "فلان", "entity_id": None, "label": "PER"}]
    assert entity_summary(rows) == [
        {"canonical": "بكين", "entity_id": "loc/beijing", "label": "LOC", "mentions": 2},
        {"canonical": "فلان", "entity_id": None, "label": "PER", "mentions": 1},
    ]


def test_annotator_choice():
    assert choose_annotator("gazetteer") == "gazetteer"
    with pytest.raises(ValueError):
        choose_annotator("spacy")


def test_choose_camel_without_a_model_fails_before_the_run(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    assert choose_annotator("auto", str(tmp_path / "missing")) == "gazetteer"
    with pytest.raises(ValueError, match="ner-arabert"):
        choose_annotator("camel", str(tmp_path / "missing"))


def test_annotate_entities_transform_with_the_gazetteer():
    articles = [{"article_id": "a", "date": "2024-06-19", "source": "s", "text": "زار بوتين بكين.\nوبكين ترحب."},
                {"article_id": "b", "date": None, "source": None, "text": "لا أسماء هنا"}]
    with TestPipeline() as p:
        rows = p | beam.Create([articles]) | AnnotateEntities("gazetteer") | beam.FlatMap(part_rows)
        assert_that(rows | beam.Filter(lambda row: row[0] == "articles") | beam.Map(lambda row: (
            row[2]["article_id"], [(e["canonical"], e["mentions"]) for e in row[2]["entities"]])),
                    equal_to([("a", [("بكين", 2), ("فلاديمير بوتين", 1)]), ("b", [])]), label="summaries")
        assert_that(rows | beam.Filter(lambda row: row[0] == "entities") | beam.Map(lambda row: (
            row[2]["article_id"], row[2]["mention"], row[2]["start_char"], row[2]["annotator"], row[1])),
                    equal_to([("a", "بوتين", 4, "gazetteer", ("2024-06-19", "s")),
                              ("a", "بكين", 10, "gazetteer", ("2024-06-19", "s")),
                              ("a", "بكين", 17, "gazetteer", ("2024-06-19", "s"))]), label="rows")


def test_annotated_keeps_partition_fields_on_rows():
    article = {"article_id": "a", "date": "2024-06-19", "source": "s", "text": "بكين"}
    out, rows = annotated(article, annotate(GAZETTEER, article["text"]), "gazetteer")
    assert rows[0]["source"] == "s" and out["entities"][0]["entity_id"] == "loc/beijing"


def test_person_names_end_where_the_name_does():
    assert found("سجل فيصل البدري النتيجة.")[0][0] == "فيصل البدري"  # a third common word is no family name
    assert found("وقال حسن رشاد سيلتقي الوفد")[0][0] == "حسن رشاد"  # a verb in the future
    # a family name that is a title; the body the title names is an organisation
    assert [r[:2] for r in found("ورئيس مجلس النواب مازن القاضي، ورئيس")] == [("مجلس النواب", "ORG"), ("مازن القاضي", "PER")]
    assert found("وقال وليد جمال الدين إن")[0][0] == "وليد جمال الدين"  # a compound name
    assert found("وقالت سكينة آيت الطالب إن")[0][0] == "سكينة آيت الطالب"  # آيت joins like بن
    assert found("مؤكدا أن الفريق يسير بثقة نحو اللقب") == []  # a verb after a title
    assert found("وقال الكاتب والصحافي سمير فرحات، الذي")[0][0] == "سمير فرحات"  # a second title


def test_a_first_name_listed_in_both_spellings_is_no_preposition():
    assert found("أعلنت الوزيرة ليلى بنعلي الشهر الماضي")[0][:2] == ("ليلى بنعلي", "PER")


def test_a_known_family_name_is_evidence_after_an_ambiguous_first_name():
    spec = load_spec()
    spec["ambiguous_first_names"] = ["ربيع"]
    assert [r["mention"] for r in annotate(Gazetteer(spec), "قال ربيع حداد، صاحب محل")] == ["ربيع حداد"]
    spec["family_names"] = []
    assert annotate(Gazetteer(spec), "قال ربيع حداد، صاحب محل") == []


def test_a_proper_name_needs_no_nationality():
    assert [r[:2] for r in found("باحثون في جامعة ييل الأمريكية قالوا")] == [("جامعة ييل", "ORG")]
    assert [r[:2] for r in found("أعلنت وزارة الدفاع السورية")][0] == ("وزارة الدفاع السورية", "ORG")


def test_places_and_bodies_named_after_people_keep_the_name():
    assert [r[:2] for r in found("في ساحة مولاي الحسن بالصويرة")] == [("ساحة مولاي الحسن", "LOC"), ("الصويرة", "LOC")]
    assert [r[:2] for r in found("تدرس في الجامعة الأمريكية بالقاهرة")] == [("الجامعة الأمريكية بالقاهرة", "ORG")]


def test_a_rare_second_word_after_a_place_cue_is_part_of_the_name():
    assert [r[:2] for r in found("في مدينة ديري داوا الإثيوبية")] == [("ديري داوا", "LOC")]
    assert [r[:2] for r in found("في مدينة زمروتة أمس")] == [("زمروتة", "LOC")]


def test_a_definite_first_name_starts_a_name_before_a_name_word():
    assert [r[:2] for r in found("المحافظ السابق الصديق الكبير، ما")] == [("الصديق الكبير", "PER")]
    assert [r[:2] for r in found("وقال الطيب زيتوني إن")] == [("الطيب زيتوني", "PER")]
    assert found("وقال الأمين العام للحزب إن") == []


def test_a_cue_before_a_known_name_makes_a_name():
    assert [r[:2] for r in found("وقضت محكمة وهران بسجنه")] == [("محكمة وهران", "ORG")]
    assert [r[:2] for r in found("وقالت جبهة تحرير أزواد إن")] == [("جبهة تحرير أزواد", "ORG")]
    assert [r[:2] for r in found("وقالت مديرية أمن بنغازي لتأمين الطرق")] == [("مديرية أمن بنغازي", "ORG")]


def test_a_title_names_its_body_and_then_its_holder():
    assert [r[:2] for r in found("بحضور محافظ البنك المركزي اليمني.")] == [("البنك المركزي اليمني", "ORG")]
    assert [r[:2] for r in found("رحب رئيس مجلس السيادة محمد المنفي بالإحاطة")] == [
        ("مجلس السيادة", "ORG"), ("محمد المنفي", "PER")]
    assert [r[1] for r in found("وهو أيضاً مؤسس صنداونز وأحد أبرز رجال الأعمال")] == ["ORG"]  # و: no name


def test_a_chain_ending_in_a_known_family_name_is_that_person_only_if_the_first_names_agree():
    assert found("وأكد ياسر بن عثمان الرميان أن هذه")[0][2:] == ("ياسر الرميان", "per/yasir-al-rumayyan")
    assert found("وقال إبراهيم نصر الله إن")[0] == ("إبراهيم نصر الله", "PER", "إبراهيم نصر الله", None)


def test_a_cue_before_another_bodys_cue_or_a_lone_known_name_is_no_name():
    assert [r[1] for r in found("وقالت مؤسسة الشركة ومديرتها")] == []
    assert [r[:2] for r in found("وقالت حكومة بنيامين نتنياهو إن")] == [("بنيامين نتنياهو", "PER")]
    assert [r[:2] for r in found("وقالت حكومة الوحدة الوطنية إن")] == [("حكومة الوحدة الوطنية", "ORG")]
