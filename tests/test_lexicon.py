import json

from lexicon.build import CURATED, _drop_descriptor, _is_common, _merge, arabic_name, build, dumps, family_names
from transforms.gazetteer import DEFAULT_GAZETTEER, Gazetteer


def test_the_build_reproduces_the_shipped_lexicon():
    curated = json.loads(CURATED.read_text(encoding="utf-8"))
    assert dumps(build(curated)) == DEFAULT_GAZETTEER.read_text(encoding="utf-8"), "run `make lexicon`"


def test_source_names_are_cleaned_or_refused():
    assert arabic_name("عُمان") == "عمان"
    assert arabic_name("مدينة ام القيوين") == "ام القيوين"
    assert arabic_name("اسکالدس-انگوردانی") is None  # Persian letters
    assert arabic_name("ئوسلو") is None
    assert arabic_name("Cairo") is None


def test_a_place_spelled_like_a_common_word_is_left_out():
    common = frozenset({"مدينه", "ورقه", "جديده"})
    assert _is_common("المدينة", common) and _is_common("الجديدة", common)
    assert _is_common("رقة", common)  # "ورقة": و + رقة
    assert _is_common("رم", common)
    assert not _is_common("القاهرة", common)


def test_curated_entries_win_over_source_names():
    amman = {"id": "loc/amman", "label": "LOC", "canonical": "عمان", "aliases": []}
    oman = {"id": "loc/oman", "label": "LOC", "canonical": "سلطنة عمان", "aliases": []}
    hezbollah = {"id": "org/hezbollah", "label": "ORG", "canonical": "حزب الله", "aliases": []}
    entities = [amman, oman, hezbollah]
    owner = {"عمان": amman, "سلطنه عمان": oman, "حزب الله": hezbollah}
    by_id = {entry["id"]: entry for entry in entities}
    _merge(entities, owner, by_id, "loc/oman", ["عمان", "سلطنة عمان", "عمان الكبرى"])
    assert oman["aliases"] == ["عمان الكبرى"] and amman["aliases"] == []
    _merge(entities, owner, by_id, "loc/hezbollah-town", ["حزب الله", "حزب الله الغربية"])
    assert len(entities) == 3 and hezbollah["aliases"] == []
    _merge(entities, owner, by_id, "loc/tanta-eg", ["طنطا"])
    assert entities[-1] == {"id": "loc/tanta-eg", "label": "LOC", "canonical": "طنطا", "aliases": []}


def test_source_places_are_found_in_text():
    gazetteer = Gazetteer.load()
    found = {(m.entity_id, m.label) for m in gazetteer.find("وصل الوفد إلى زفتى ثم إلى سمالوط")}
    assert {("loc/zefta-eg", "LOC"), ("loc/samalut-eg", "LOC")} <= found


def test_a_descriptor_leaves_the_canonical_name_only_where_the_bare_name_is_safe():
    okaz = {"id": "org/okaz", "label": "ORG", "canonical": "صحيفة عكاظ", "aliases": []}
    jazeera = {"id": "org/al-jazeera", "label": "ORG", "canonical": "قناة الجزيرة", "aliases": []}
    owner = {}
    for entry in (okaz, jazeera):
        _drop_descriptor(entry, {"صحيفة", "قناة"}, owner, frozenset({"جزيره"}))
    assert okaz == {"id": "org/okaz", "label": "ORG", "canonical": "عكاظ", "aliases": ["صحيفة عكاظ"]}
    assert jazeera["canonical"] == "قناة الجزيرة"


def test_family_names_are_frequent_surnames_but_not_very_common_words():
    names = set(family_names(frozenset({"القاضي"})))
    assert "حداد" in names and "الخطيب" in names
    assert "جديد" not in names and "أبريل" not in names  # Zipf 5.6 and 5.2: words first
    assert "القاضي" not in names  # excluded (a title)
    assert all(" " not in name for name in names)
