import re

from hypothesis import given, settings, strategies as st

from transforms.text import (
    arabic_share, clean_text, fold_arabic, lines_of_many, matching_key, paragraph_keys, paragraphs, word_key,
)


def test_clean_text_strips_invisible_controls_and_unifies_spaces():
    raw = "\ufeff  مرحبا\u200f  بكم\u00a0\u00a0هنا\u202b \r\n\r\n\n سطر\u200b ثان\t "
    assert clean_text(raw) == "مرحبا بكم هنا\nسطر ثان"


_MESSY = "ab ج\n\r\t\u00a0\u2028\u2029\x0b\x0c\x85\u200b\u200f\ufeff\x00\x07\x1c\x7f\u3000"


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from(list(_MESSY)), max_size=40))
def test_clean_text_keeps_each_word_and_line_with_one_space_between_words(raw):
    cleaned = clean_text(raw)
    visible = re.sub("[\u200b\u200f\ufeff]", "", re.sub("[\x00\x07\x1c\x7f]", " ", raw))
    lines = [" ".join(line.split()) for line in re.split("[\n\r\u2028\u2029\x0b\x0c\x85]", visible)]
    assert cleaned == "\n".join(line for line in lines if line)


def test_clean_text_keeps_diacritics_punctuation_and_paragraphs():
    raw = "قالَ: «نعم»، 2024.\n\nفقرة ثانية!"
    cleaned = clean_text(raw)
    assert cleaned == "قالَ: «نعم»، 2024.\nفقرة ثانية!"
    assert paragraphs(cleaned) == ["قالَ: «نعم»، 2024.", "فقرة ثانية!"]


def test_clean_text_composes_to_nfc():
    decomposed = "e\u0301"
    assert clean_text(decomposed) == "\u00e9"


def test_matching_key_folds_spelling_variants_together():
    variants = ["إلى المدرسة", "الى المدرسه", "إِلَى المَدْرَسَةِ", "الـــى المدرسة", "إلى  المدرسة،"]
    assert len({matching_key(v) for v in variants}) == 1


def test_matching_key_folds_digits_and_yeh_and_case():
    assert matching_key("مصطفى ٢٠٢٤ CNN") == matching_key("مصطفي 2024 cnn")
    assert matching_key("مصطفى ٢٠٢٤ CNN") == "مصطفي 2024 cnn"


def test_matching_key_keeps_different_words_apart():
    assert matching_key("بوتين") != matching_key("بكين")


def test_fold_arabic_keeps_punctuation():
    assert fold_arabic("أحمدُ، ١") == "احمد، 1"


def test_arabic_share():
    assert arabic_share("مرحبا") == 1.0
    assert arabic_share("hello") == 0.0
    assert arabic_share("123 !") == 0.0
    assert 0.4 < arabic_share("abc مرح") < 0.6


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="أإآٱابتثىيئؤةهـًٌٍَُِّْ٠١٩ABCabcÉé ،.-ـ\u200f", max_size=20))
def test_word_key_is_the_matching_key(word):
    assert word_key(word) == matching_key(word)


def test_lines_of_many_is_the_function_text_by_text():
    texts = ["أولى\nثانية،  هنا", "", "x", "ثالثة\n\nرابعة"]
    assert lines_of_many(paragraph_keys, texts) == [paragraph_keys(t) if t else [] for t in texts]
    assert lines_of_many(paragraph_keys, ["", ""]) == [[], []]
