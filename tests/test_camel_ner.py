"""The camel annotator: same labels as camel-tools' NERecognizer (bar its
dropped-word bug), chunking of long sentences, offsets, and RunInference."""

import importlib
import os
import pathlib
import random

import apache_beam as beam
import pytest
from apache_beam.ml.inference.base import RunInference
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.akhbar import run
from tests.conftest import part_rows, query, table_glob
from tests.tiny_bert import (
    ARABIC_WORDS,
    CAMEL_LABELS,
    build_tiny_ner_model,
    write_stub_catalogue,
)
from transforms.camel_inference import CamelNerModelHandler
from transforms.camel_ner import (
    annotate_texts,
    default_model_dir,
    is_installed,
    label_sentences,
    load_ner_model,
    mentions_from_labels,
    sentences_with_offsets,
)
from transforms.entities import AnnotateEntities, resolved_mentions
from transforms.gazetteer import Gazetteer
from transforms.text import tokens_with_offsets

RTL_MARK = "\u200f"


@pytest.fixture(scope="session")
def camel_ner_module(tmp_path_factory):
    """``camel_tools.ner``, imported offline: camel-tools reads its data
    catalogue at import, so a stub one goes into CAMELTOOLS_DATA first."""
    data_dir = tmp_path_factory.mktemp("camel_data")
    write_stub_catalogue(data_dir)
    previous = os.environ.get("CAMELTOOLS_DATA")
    os.environ["CAMELTOOLS_DATA"] = str(data_dir)
    try:
        yield importlib.import_module("camel_tools.ner")
    finally:
        if previous is None:
            del os.environ["CAMELTOOLS_DATA"]
        else:
            os.environ["CAMELTOOLS_DATA"] = previous


@pytest.fixture(scope="session")
def model_256(tmp_path_factory):
    """Enough positions for camel's 256-piece inputs."""
    return build_tiny_ner_model(tmp_path_factory.mktemp("tiny_256"), max_position_embeddings=256)


@pytest.fixture(scope="session")
def model_64(tmp_path_factory):
    """Few positions: sentences over 62 pieces must be split."""
    return build_tiny_ner_model(tmp_path_factory.mktemp("tiny_64"), max_position_embeddings=64)


@pytest.fixture(scope="session")
def camel(camel_ner_module, model_256):
    return camel_ner_module.NERecognizer(str(model_256), use_gpu=False)


@pytest.fixture(scope="session")
def ner_256(model_256):
    return load_ner_model(model_256)


@pytest.fixture(scope="session")
def ner_64(model_64):
    return load_ner_model(model_64)


def news_sentences(count, seed, min_words=1, max_words=60):
    """Sentences of known words, made-up words (split into several pieces),
    punctuation and numbers."""
    rng = random.Random(seed)
    vocabulary = list(ARABIC_WORDS) + ["،", ".", "«", "»", "2024", "15", "بالأمس", "والمستشارون"]
    return [rng.choices(vocabulary, k=rng.randint(min_words, max_words)) for _ in range(count)]


def test_labels_equal_camel_predict(camel, ner_256):
    sentences = news_sentences(40, seed=1) + [[], ["قال"], ["ماكرون", "في", "باريس"]]
    expected = camel.predict(sentences)
    assert label_sentences(sentences, ner_256) == expected
    # Many small forward passes give the same labels as a few large ones.
    assert label_sentences(sentences, ner_256, max_batch_tokens=64, min_batch_tokens=0) == expected
    assert len({label for labels in expected for label in labels}) > 3


def test_labels_equal_camel_predict_on_sentences_camel_chunks(camel, ner_256):
    """Over 254 pieces camel cuts a sentence into chunks; we cut at the
    same words, so even these labels are camel's."""
    long_sentences = news_sentences(3, seed=2, min_words=300, max_words=400)
    assert all(len(words) > ner_256.max_chunk_pieces for words in long_sentences)
    assert label_sentences(long_sentences, ner_256) == camel.predict(long_sentences)


def test_word_without_pieces_gets_o_and_shifts_nothing(camel, ner_256):
    words = ["قال", "الرئيس", "ماكرون", RTL_MARK, "في", "باريس", "إن", "فرنسا", "ستدعم", "الأمم", "المتحدة"]
    mark = words.index(RTL_MARK)
    without_mark = words[:mark] + words[mark + 1:]
    # The mark has no pieces, so the model sees the same input with or
    # without it: the labels of the other words cannot depend on it.
    assert ner_256.piece_ids(RTL_MARK) == []
    assert ner_256.tokenizer.tokenize(RTL_MARK) == []

    labels = label_sentences([words], ner_256)[0]
    camel_without = camel.predict([without_mark])[0]
    assert labels == camel_without[:mark] + ["O"] + camel_without[mark:]

    # camel drops the mark: one label short, every later label one word early.
    camel_with = camel.predict([words])[0]
    assert len(camel_with) == len(words) - 1
    assert camel_with == camel_without
    shifted = camel_with[mark:]
    assert shifted != labels[mark:len(camel_with)]


def test_long_sentence_is_split_at_word_boundaries_and_rejoined(ner_64):
    words = news_sentences(1, seed=3, min_words=150, max_words=150)[0]
    limit = ner_64.max_chunk_pieces
    assert limit == 62
    # Where the chunks should end: greedily, as many whole words as fit.
    parts, part, pieces = [], [], 0
    for word in words:
        count = len(ner_64.tokenizer.tokenize(word))
        if part and pieces + count > limit:
            parts.append(part)
            part, pieces = [], 0
        part.append(word)
        pieces += count
    parts.append(part)
    assert len(parts) >= 3

    labels = label_sentences([words], ner_64)[0]
    assert len(labels) == len(words)
    assert labels == [label for labels in label_sentences(parts, ner_64) for label in labels]


def test_word_longer_than_a_chunk_keeps_its_first_pieces(ner_64):
    giant = "ث" * 80
    assert len(ner_64.tokenizer.tokenize(giant)) > ner_64.max_chunk_pieces
    labels = label_sentences([["قال", giant, "الرئيس"], [giant]], ner_64)
    assert [len(sentence) for sentence in labels] == [3, 1]
    assert all(label in CAMEL_LABELS for sentence in labels for label in sentence)


def test_mentions_from_labels_decodes_bio_leniently():
    text = "قال الرئيس محمد علي في القاهرة ، وزارة الخارجية المصرية أمس"
    words = tokens_with_offsets(text)
    labels = ["O", "O", "B-PERS", "I-PERS", "O", "I-LOC", "O", "B-ORG", "I-ORG", "B-ORG", "I-MISC"]
    mentions = mentions_from_labels(words, labels)
    assert [(text[start:end], label) for start, end, label in mentions] == [
        ("محمد علي", "PER"), ("القاهرة", "LOC"), ("وزارة الخارجية", "ORG"), ("المصرية", "ORG"), ("أمس", "MISC"),
    ]
    with pytest.raises(ValueError):
        mentions_from_labels(words, labels[:-1])
    with pytest.raises(ValueError):
        mentions_from_labels(words[:1], ["PERS"])


def test_sentences_split_at_final_punctuation_and_line_breaks():
    text = 'قال: "انتهى." ثم غادر. بلغ النمو 3.5 بالمئة؟ نعم!\nفقرة جديدة... هنا'
    sentences = sentences_with_offsets(text)
    assert [" ".join(word for word, _, _ in sentence) for sentence in sentences] == [
        'قال : " انتهى . "', "ثم غادر .", "بلغ النمو 3 . 5 بالمئة ؟", "نعم !", "فقرة جديدة . . .", "هنا",
    ]
    assert all(text[start:end] == word for sentence in sentences for word, start, end in sentence)


_TEXT_ALPHABET = list("ابتثجحخدذرزسشصضطظعغفقكلمنهويةىءآأإ") + list(" \n\t.،؟!:«»\"()0123456789") + [
    RTL_MARK, "\u0640", "\u064e", "\u00a0", "😀", "a", "B"]


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=_TEXT_ALPHABET, max_size=120), data=st.data())
def test_mentions_slice_the_text_to_exactly_their_words(text, data):
    from camel_tools.tokenizers.word import simple_word_tokenize

    words = tokens_with_offsets(text)
    assert [word for word, _, _ in words] == simple_word_tokenize(text)
    assert all(text[start:end] == word for word, start, end in words)
    sentences = sentences_with_offsets(text)
    assert [word for sentence in sentences for word in sentence] == words

    labels = data.draw(st.lists(st.sampled_from(CAMEL_LABELS), min_size=len(words), max_size=len(words)))
    mentions = mentions_from_labels(words, labels)
    previous_end = 0
    for start, end, label in mentions:
        assert previous_end <= start < end <= len(text)
        previous_end = end
        assert label in {"PER", "LOC", "ORG", "MISC"}
        inside = [word for word, word_start, word_end in words if start <= word_start and word_end <= end]
        assert inside and text[start:end].startswith(inside[0]) and text[start:end].endswith(inside[-1])
        assert [word for word, _, _ in tokens_with_offsets(text[start:end])] == inside
    assert len(mentions) == sum(1 for index, label in enumerate(labels) if label.startswith("B-") or (
        label.startswith("I-") and (index == 0 or labels[index - 1][2:] != label[2:])))


def test_run_inference_gives_the_plain_function_labels(model_256, ner_256):
    sentences = news_sentences(12, seed=4) + [["في", RTL_MARK, "باريس"]]
    expected = [(tuple(words), tuple(labels)) for words, labels in zip(sentences, label_sentences(sentences, ner_256))]
    with TestPipeline() as pipeline:
        results = (pipeline
                   | beam.Create(sentences)
                   | RunInference(CamelNerModelHandler(model_256, max_batch_tokens=256))
                   | beam.Map(lambda result: (tuple(result.example), tuple(result.inference))))
        assert_that(results, equal_to(expected))


def test_handler_batches_by_words():
    handler = CamelNerModelHandler("unused", min_batch_words=10, max_batch_words=100)
    kwargs = handler.batch_elements_kwargs()
    assert (kwargs["min_batch_size"], kwargs["max_batch_size"]) == (10, 100)
    assert kwargs["element_size_fn"](["قال", "الرئيس"]) == 2
    assert handler.share_model_across_processes() is False
    with pytest.raises(ValueError):
        handler.validate_inference_args({"batch_size": 3})


def test_is_installed_finds_camel_data_location(tmp_path, monkeypatch, model_64):
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    assert default_model_dir() == tmp_path / "data" / "ner" / "arabert"
    assert not is_installed()  # no catalogue, no model: no error either
    write_stub_catalogue(tmp_path)
    assert not is_installed()
    (tmp_path / "data" / "ner").mkdir(parents=True)
    (tmp_path / "data" / "ner" / "arabert").symlink_to(model_64, target_is_directory=True)
    assert is_installed()
    assert is_installed(model_64)
    assert not is_installed(tmp_path / "elsewhere")


def test_annotate_texts_gives_mentions_of_each_sentence_in_its_text(ner_256):
    texts = ["قال الرئيس ماكرون في باريس. وأكد أن فرنسا ستدعم الأمم المتحدة!\nوزير الخارجية في القاهرة",
             "", "ماكرون"]
    mentions = annotate_texts(texts, ner_256, max_batch_tokens=128)
    assert len(mentions) == 3 and mentions[1] == []
    for text, text_mentions in zip(texts, mentions):
        expected = []
        for sentence in sentences_with_offsets(text):
            labels = label_sentences([[word for word, _, _ in sentence]], ner_256)[0]
            expected += mentions_from_labels(sentence, labels)
        assert text_mentions == expected
    assert mentions[0]


def test_bfloat16_encoder_gives_nearly_the_same_labels(model_256, ner_256):
    sentences = news_sentences(30, seed=5)
    exact = label_sentences(sentences, ner_256)
    approximate = label_sentences(sentences, load_ner_model(model_256, bfloat16=True))
    assert [len(labels) for labels in approximate] == [len(labels) for labels in exact]
    pairs = [(a, b) for x, y in zip(exact, approximate) for a, b in zip(x, y)]
    assert sum(a == b for a, b in pairs) >= 0.9 * len(pairs)


def test_annotate_entities_with_camel_runs_inference_and_names_mentions(model_256, ner_256):
    texts = ["قال الرئيس ماكرون في باريس.\nوزير الخارجية في القاهرة وبكين", "لا شيء هنا", ""]
    articles = [{"article_id": str(i), "date": None, "source": None, "text": text} for i, text in enumerate(texts)]
    spans = annotate_texts(texts, ner_256)
    gazetteer = Gazetteer.load()
    expected_rows = [(article["article_id"], mention["mention"], mention["start_char"], mention["canonical"], "camel")
                     for article, article_spans in zip(articles, spans)
                     for mention in resolved_mentions(gazetteer, article["text"], article_spans)]
    assert expected_rows  # the random tiny model labels some words as entities
    with TestPipeline() as p:
        rows = (p | beam.Create([articles]) | AnnotateEntities("camel", model_dir=str(model_256))
                | beam.FlatMap(part_rows))
        assert_that(rows | beam.Filter(lambda row: row[0] == "entities") | beam.Map(lambda row: tuple(
            row[2][column] for column in ("article_id", "mention", "start_char", "canonical", "annotator"))),
            equal_to(expected_rows), label="rows")
        assert_that(rows | beam.Filter(lambda row: row[0] == "articles") | beam.Map(lambda row: (
            row[2]["article_id"], sum(e["mentions"] for e in row[2]["entities"]))),
                    equal_to([(a["article_id"], sum(1 for r in expected_rows if r[0] == a["article_id"]))
                              for a in articles]), label="summaries")


def test_a_sentence_met_again_reuses_its_labels(model_256):
    ner = load_ner_model(model_256)
    repeated, other = news_sentences(2, seed=9)
    first = label_sentences([repeated, other, repeated], ner)
    assert first[0] == first[2] == label_sentences([repeated], load_ner_model(model_256))[0]
    first[0][0] = "changed"  # callers get their own lists
    assert ner.remembered_labels(repeated) == first[2]
    assert label_sentences([repeated], ner)[0] == first[2]


def test_the_job_runs_with_the_camel_annotator(tmp_path, model_256):
    """The whole job with ``--annotator camel``: every row says so, offsets
    slice the text, and the article summaries count the rows."""
    output = tmp_path / "out"
    report = run(["--input", str(pathlib.Path(__file__).parent.parent / "seeds"), "--output", str(output),
                  "--annotator", "camel", "--ner_model_dir", str(model_256)])
    assert report["balanced"] and report["rows_per_table"]["entities"] > 0
    rows = query(
        f"select e.annotator, substr(a.text, e.start_char + 1, e.end_char - e.start_char) = e.mention "
        f"from read_parquet('{table_glob(output, 'entities')}', hive_partitioning=true) e "
        f"join read_parquet('{table_glob(output, 'articles')}', hive_partitioning=true) a using (article_id)"
    )
    assert {annotator for annotator, _ in rows} == {"camel"} and all(sliced for _, sliced in rows)
    (summarised,) = query(f"select sum(e.mentions) from read_parquet('{table_glob(output, 'articles')}', "
                          "hive_partitioning=true), unnest(entities) as t(e)")[0]
    assert summarised == len(rows)
