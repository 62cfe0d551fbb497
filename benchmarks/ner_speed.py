"""``python -m benchmarks.ner_speed``: sentences per second of camel-tools'
``NERecognizer.predict`` and of our ``label_sentences``, same weights.

The model has AraBERT-base's shape (what ``camel_data -i ner-arabert``
installs) with random weights, so the figures are the real model's cost
without a 540 MB download; its vocabulary is generated so that the
sentences split into about as many word pieces per word as news does with
AraBERT's. Both run on one torch thread, for a per-core figure. camel is
timed on a subset (it costs about the same per sentence whatever the
length), ours on every sentence, and the labels of the subset must be
identical.
"""

import argparse
import itertools
import json
import os
import pathlib
import random
import time

from benchmarks.corpus import VOCABULARY
from benchmarks.synthetic import generate
from tests.tiny_bert import (
    ARABIC_LETTERS,
    ARABIC_WORDS,
    base_vocabulary,
    save_ner_model,
    write_stub_catalogue,
)
from transforms.camel_ner import (
    DEFAULT_MAX_BATCH_TOKENS,
    DEFAULT_MIN_BATCH_TOKENS,
    camel_data_dir,
    is_installed,
    label_sentences,
    load_ner_model,
    sentences_with_offsets,
)

DEFAULT_MODEL_DIR = pathlib.Path("/tmp/akhbar-bench/ner-arabert-shaped")
ARABERT_BASE = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
}
VOCAB_SIZE = 64000
# Share of the made-up corpus words that get a whole-word entry: the others
# split into several pieces, as rarer words do in AraBERT's vocabulary.
WHOLE_WORD_SHARE = 0.7
WARM_UP_SEED = 12
_PUNCTUATION_AFTER = ("،", "،", ":", "»")


def arabert_shaped_vocabulary(seed=0):
    """64,000 entries: the test vocabulary, most benchmark corpus words,
    every ``##`` letter pair, then ``##`` letter triples up to that size."""
    rng = random.Random(seed)
    whole_words = [word for word in VOCABULARY if rng.random() < WHOLE_WORD_SHARE]
    letters = sorted(set(ARABIC_LETTERS))
    pieces = ("##" + "".join(combo) for size in (2, 3) for combo in itertools.product(letters, repeat=size))
    vocabulary = list(dict.fromkeys(itertools.chain(base_vocabulary(ARABIC_WORDS + tuple(whole_words)), pieces)))
    if len(vocabulary) < VOCAB_SIZE:
        raise ValueError(f"only {len(vocabulary)} vocabulary entries")
    return vocabulary[:VOCAB_SIZE]


def build_model(model_dir=DEFAULT_MODEL_DIR):
    """Write the AraBERT-shaped model once; later runs reuse it."""
    model_dir = pathlib.Path(model_dir)
    if not is_installed(model_dir):
        save_ner_model(model_dir, arabert_shaped_vocabulary(), seed=0, **ARABERT_BASE)
    return model_dir


def news_sentences(count=300, seed=11):
    """News-like sentences as lists of words: mostly 10-40 words (1 in 20
    up to 80), Zipf-distributed words, commas, quotes, numbers, a full stop."""
    rng = random.Random(seed)
    words = list(ARABIC_WORDS) + list(VOCABULARY)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(words))]
    sentences = []
    for _ in range(count):
        length = rng.randint(41, 80) if rng.random() < 0.05 else rng.randint(10, 40)
        sentence = []
        for word in rng.choices(words, weights=weights, k=length):
            sentence.append(word)
            roll = rng.random()
            if roll < 0.06:
                sentence.append(rng.choice(_PUNCTUATION_AFTER))
            elif roll < 0.08:
                sentence.append(str(rng.randint(2, 2025)))
        sentences.append(sentence + ["."])
    return sentences


def stream_sentences(articles=120):
    """The body sentences of a synthetic news stream, wire copies included
    (``benchmarks.synthetic``): what a run meets, repeats and all."""
    sentences = []
    for item in generate(articles):
        body = "\n".join(line for line, label in item["lines"] if label == "body")
        sentences += [[word for word, _, _ in sentence] for sentence in sentences_with_offsets(body)]
    return sentences


def _camel_recognizer(model_dir):
    """camel-tools' NERecognizer, imported offline with a stub catalogue
    when camel-tools has no data of its own."""
    if not (camel_data_dir() / "catalogue.json").exists():
        data_dir = pathlib.Path(model_dir).parent / "camel_data"
        write_stub_catalogue(data_dir)
        os.environ["CAMELTOOLS_DATA"] = str(data_dir)
    from camel_tools.ner import NERecognizer

    return NERecognizer(str(model_dir), use_gpu=False)


def _timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def camel_speedup(sentences, camel_sentences=64, model_dir=DEFAULT_MODEL_DIR, **batching):
    """Time camel's ``predict`` on the first ``camel_sentences`` sentences
    and ``label_sentences`` on all of them, one torch thread each, after a
    warm-up on other sentences; the labels of the sentences both label
    must be identical. Also times the
    opt-in bfloat16 encoder and how many of its labels are camel's.
    ``batching``: ``label_sentences``' batch bounds."""
    import torch

    torch.set_num_threads(1)
    model_dir = build_model(model_dir)
    camel = _camel_recognizer(model_dir)
    ner = load_ner_model(model_dir)
    ner_bfloat16 = load_ner_model(model_dir, bfloat16=True)
    # A long job sees every batch shape again and again, and most words
    # again; warm up on other sentences of the same kind, as it would be.
    warm_up = news_sentences(len(sentences), seed=WARM_UP_SEED)
    camel.predict(warm_up[:32])
    label_sentences(warm_up, ner, **batching)
    label_sentences(warm_up, ner_bfloat16, **batching)

    subset = sentences[:camel_sentences]
    camel_labels, camel_seconds = _timed(camel.predict, subset)
    our_labels, our_seconds = _timed(label_sentences, sentences, ner, **batching)
    bfloat16_labels, bfloat16_seconds = _timed(label_sentences, sentences, ner_bfloat16, **batching)
    mismatches = [index for index, labels in enumerate(camel_labels) if labels != our_labels[index]]
    assert not mismatches, f"labels differ from camel's on sentences {mismatches}"

    # A news stream repeats sentences (wire copy): each is labelled once.
    stream = stream_sentences()
    stream_labels, stream_seconds = _timed(label_sentences, stream, load_ner_model(model_dir), **batching)
    assert camel.predict(stream[:16]) == stream_labels[:16], "stream labels differ from camel's"

    words = sum(len(sentence) for sentence in sentences)
    pieces = sum(len(ner.piece_ids(word)) for sentence in sentences for word in sentence)
    pairs = [(camel_label, label) for camel_sentence, sentence in zip(camel_labels, bfloat16_labels)
             for camel_label, label in zip(camel_sentence, sentence)]
    camel_rate = len(subset) / camel_seconds
    our_rate = len(sentences) / our_seconds
    bfloat16_rate = len(sentences) / bfloat16_seconds
    return {
        "sentences": len(sentences),
        "camel_sentences": len(subset),
        "words_per_sentence": round(words / len(sentences), 1),
        "pieces_per_word": round(pieces / words, 2),
        "camel_sentences_per_second": round(camel_rate, 2),
        "our_sentences_per_second": round(our_rate, 2),
        "speedup": round(our_rate / camel_rate, 1),
        "bfloat16_sentences_per_second": round(bfloat16_rate, 2),
        "bfloat16_speedup": round(bfloat16_rate / camel_rate, 1),
        "bfloat16_labels_equal_to_camel": round(sum(a == b for a, b in pairs) / len(pairs), 4),
        "stream_sentences": len(stream),
        "stream_repeated_share": round(1 - len({tuple(words) for words in stream}) / len(stream), 3),
        "stream_sentences_per_second": round(len(stream) / stream_seconds, 2),
        "stream_speedup": round(len(stream) / stream_seconds / camel_rate, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=400)
    parser.add_argument("--camel_sentences", type=int, default=64)
    parser.add_argument("--model_dir", default=str(DEFAULT_MODEL_DIR))
    parser.add_argument("--max_batch_tokens", type=int, default=DEFAULT_MAX_BATCH_TOKENS)
    parser.add_argument("--min_batch_tokens", type=int, default=DEFAULT_MIN_BATCH_TOKENS)
    args = parser.parse_args(argv)
    figures = camel_speedup(news_sentences(args.sentences), args.camel_sentences, args.model_dir,
                            max_batch_tokens=args.max_batch_tokens, min_batch_tokens=args.min_batch_tokens)
    print(json.dumps(figures, indent=2))
    print(f"{figures['sentences']} sentences, {figures['words_per_sentence']} words and "
          f"{figures['pieces_per_word']} pieces per word; one torch thread")
    print(f"camel NERecognizer.predict:    {figures['camel_sentences_per_second']:7.2f} sentences/s")
    print(f"label_sentences (same labels): {figures['our_sentences_per_second']:7.2f} sentences/s"
          f"  {figures['speedup']:5.1f}x")
    print(f"a news stream with wire copy:  {figures['stream_sentences_per_second']:7.2f} sentences/s"
          f"  {figures['stream_speedup']:5.1f}x ({figures['stream_sentences']} sentences, "
          f"{figures['stream_repeated_share']:.0%} repeated, labelled once)")
    print(f"label_sentences, bfloat16:     {figures['bfloat16_sentences_per_second']:7.2f} sentences/s"
          f"  {figures['bfloat16_speedup']:5.1f}x, {figures['bfloat16_labels_equal_to_camel']:.2%} of labels camel's")


if __name__ == "__main__":
    main()
