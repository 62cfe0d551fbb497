"""Shared passages found whatever the paragraph breaks, with offsets that
slice both texts to the same words."""

import random

import numpy as np

from benchmarks.corpus import VOCABULARY
from transforms.passages import batch_words, sentence_anchors, shared_passages, words_with_offsets
from transforms.text import matching_key

RNG = random.Random(3)
WIRE = [" ".join(RNG.choice(VOCABULARY) for _ in range(26)) + "." for _ in range(3)]


def own_text(words):
    return " ".join(RNG.choice(VOCABULARY) for _ in range(words)) + "."


def passages(a, b, min_words=20):
    return shared_passages(words_with_offsets(a), words_with_offsets(b), min_words)


def test_word_offsets_slice_the_text_to_each_word():
    text = "قالَ الوزيرُ، أمس: «إن المحادثات\nإيجابية» (رويترز)."
    hashes, starts, ends = words_with_offsets(text)
    words = [text[start:end] for start, end in zip(starts, ends)]
    assert words == ["قالَ", "الوزيرُ", "أمس", "إن", "المحادثات", "إيجابية", "رويترز"]
    assert len(set(hashes.tolist())) == len(words)
    assert words_with_offsets("قال الوزير")[0].tolist() == words_with_offsets("قالَ الوزيرُ")[0].tolist()


def check_same_words(a, b, found):
    for a_start, a_end, b_start, b_end, _, _ in found:
        assert matching_key(a[a_start:a_end]) == matching_key(b[b_start:b_end])


def test_merged_paragraphs_are_one_passage():
    a = "\n".join([own_text(15), *WIRE, own_text(12)])
    b = "\n".join([own_text(18), " ".join(WIRE), own_text(9)])
    found = passages(a, b)
    assert len(found) == 1 and found[0][4] == 78 and found[0][5] == 1.0
    assert a[found[0][0]:found[0][1]] == "\n".join(WIRE)[:-1]  # up to the last word
    check_same_words(a, b, found)


def test_hard_wrapped_text_is_one_passage():
    words = " ".join(WIRE).split()
    wrapped = "\n".join(" ".join(words[start:start + 9]) for start in range(0, len(words), 9))
    a = "\n".join([own_text(15), *WIRE, own_text(12)])
    b = "\n".join([own_text(10), wrapped, own_text(10)])
    found = passages(a, b)
    assert [(words, similarity) for *_, words, similarity in found] == [(78, 1.0)]
    check_same_words(a, b, found)


def test_a_verbatim_sentence_inside_rewritten_text_is_a_passage_and_nothing_else():
    a = " ".join([own_text(14), WIRE[0], own_text(14)])
    b = " ".join([own_text(14), WIRE[0], own_text(14)])
    found = passages(a, b)
    assert len(found) == 1 and found[0][4] == 26
    assert a[found[0][0]:found[0][1]] == WIRE[0][:-1]
    check_same_words(a, b, found)


def test_a_small_edit_keeps_one_passage_with_its_similarity():
    edited = WIRE[1].split()
    edited[12] = "تعديل"
    a, b = " ".join([own_text(10), WIRE[1], own_text(10)]), " ".join([own_text(10), " ".join(edited), own_text(10)])
    [(_, _, _, _, words, similarity)] = passages(a, b)
    assert words == 26 and 0.8 < similarity < 1.0


def test_runs_shorter_than_the_minimum_and_unrelated_texts_share_nothing():
    short = " ".join(WIRE[0].split()[:15])
    assert passages(" ".join([own_text(20), short, own_text(20)]), " ".join([own_text(20), short, own_text(20)])) == []
    assert passages(own_text(60), own_text(60)) == []
    assert passages(" ".join([own_text(20), short, own_text(20)]),
                    " ".join([own_text(20), short, own_text(20)]), min_words=12)


def test_sentence_anchors_do_not_depend_on_line_breaks_or_the_text_around():
    a = " ".join([own_text(12), WIRE[2], own_text(12)])
    wire_words = WIRE[2].split()
    b = own_text(7) + "\n" + " ".join(wire_words[:11]) + "\n" + " ".join(wire_words[11:]) + "\n" + own_text(30)
    a_anchors, b_anchors = (sentence_anchors(text) for text in (a, b))
    assert len(np.intersect1d(a_anchors, b_anchors)) == 2
    assert len(sentence_anchors(own_text(15))) == 0


def test_a_batch_gives_each_text_what_it_gives_alone():
    texts = [" ".join([own_text(12), WIRE[0], own_text(30)]), "", "«" + own_text(5) + "»\n" + WIRE[1], own_text(3)]
    words = batch_words(texts)
    for index, text in enumerate(texts):
        alone = words_with_offsets(text)
        assert all(np.array_equal(mine, theirs) for mine, theirs in zip(words.of(index), alone))
        assert np.array_equal(np.unique(words.anchor_values[words.anchor_texts == index]), sentence_anchors(text))
