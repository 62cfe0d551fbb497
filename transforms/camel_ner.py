"""The ``camel`` annotator: camel-tools' NER model, run fast under RunInference.

camel-tools' model (AraBERT fine-tuned on ANERcorp, installed by
``camel_data -i ner-arabert``) is a BertForTokenClassification. Its own
``NERecognizer.predict`` pads every sentence to 256 word pieces, so a
30-piece sentence costs as much as a 256-piece one, and it drops words
without word pieces (a lone bidi mark), shifting every later label
(camel-tools issue 105). This module runs the same weights on the same word
pieces, chunked where camel chunks, and takes each word's label from its
first piece as camel does, so the labels are camel's; but it sorts
sentences by length and pads each mini-batch only to its own longest
sentence, and gives piece-less words ``O`` in place.

camel_tools is imported lazily: importing ``camel_tools.ner`` reads (and,
when missing, downloads) the camel-tools data catalogue.
"""

import json
import os
import pathlib
from dataclasses import dataclass, field

import numpy as np

from transforms.text import token_lines

# camel's NERDataset pads and chunks every sentence to this many pieces,
# [CLS] and [SEP] included.
CAMEL_MAX_SEQ_LENGTH = 256
# Pieces (padding included) per forward pass. On one core, BERT-base runs
# as many pieces per second from about 200 pieces per pass on; bigger passes
# only mean wider spans of lengths padded alike.
DEFAULT_MIN_BATCH_TOKENS = 512
DEFAULT_MAX_BATCH_TOKENS = 2048
# Words whose pieces a worker remembers: a long job's rare words (names,
# typos) would otherwise grow the cache without end.
_MAX_CACHED_WORDS = 500_000
_MAX_CACHED_SENTENCES = 200_000
# camel's ANERcorp tag for persons is PERS; the entities table says PER.
_SCHEMA_LABELS = {"PERS": "PER"}
_MODEL_FILES = ("config.json", "vocab.txt")
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# Sentence-final punctuation, and what may trail it inside the same sentence.
_SENTENCE_END = frozenset(".!?؟۔…")
_TRAILING = frozenset(_SENTENCE_END | set("\"'»”’)]}"))


def camel_data_dir():
    """Where camel-tools keeps its data: ``$CAMELTOOLS_DATA``, else
    ``~/.camel_tools``, as ``camel_tools.data`` resolves it (not imported
    here: it downloads the catalogue when there is none)."""
    configured = os.environ.get("CAMELTOOLS_DATA")
    if configured is not None:
        return pathlib.Path(configured).expanduser().absolute()
    return pathlib.Path.home() / ".camel_tools"


def default_model_dir():
    """The folder ``NERecognizer.pretrained()`` loads: the catalogue's
    default NamedEntityRecognition dataset under ``<data>/data``, or
    ``ner/arabert`` (where ``camel_data -i ner-arabert`` puts it) when the
    catalogue is missing or unreadable."""
    data_dir = camel_data_dir()
    relative = "ner/arabert"
    try:
        catalogue = json.loads((data_dir / "catalogue.json").read_text(encoding="utf-8"))
        component = catalogue["components"]["NamedEntityRecognition"]
        relative = component["datasets"][component["default"]]["path"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return data_dir / "data" / relative


def is_installed(model_dir=None):
    """Whether a camel NER model folder (config, vocabulary and weights) is
    at ``model_dir``, or at camel-tools' own location when it is None."""
    folder = pathlib.Path(model_dir) if model_dir is not None else default_model_dir()
    return (all((folder / name).is_file() for name in _MODEL_FILES)
            and any((folder / name).is_file() for name in _WEIGHT_FILES))


def sentences_with_offsets(text):
    """The words of ``text``, grouped into sentences: a sentence ends at a
    line break, and after sentence-final punctuation (with any quotes or
    brackets right behind it) that is followed by a space. A full stop
    inside a token such as ``3.5`` or ``U.S`` does not end one."""
    sentences = []
    for line in token_lines(text):
        current = []
        for word in line:
            if current and text[current[-1][2]:word[1]] and _ends_sentence(current):
                sentences.append(current)
                current = []
            current.append(word)
        if current:
            sentences.append(current)
    return sentences


def _ends_sentence(words):
    """Whether ``words`` end with sentence-final punctuation, possibly
    followed by closing quotes or brackets."""
    for word, _, _ in reversed(words):
        if word in _SENTENCE_END:
            return True
        if word not in _TRAILING:
            return False
    return False


def mentions_from_labels(words, labels):
    """BIO labels of ``words`` (``tokens_with_offsets`` tuples) to mentions
    ``(start_char, end_char, label)``. An ``I-`` that does not continue a
    mention of its type starts one (seqeval's lenient rule); the label is
    the type as the entities table spells it (``PERS`` becomes ``PER``)."""
    if len(words) != len(labels):
        raise ValueError(f"{len(words)} words but {len(labels)} labels")
    mentions = []
    open_type = None
    for (_, start, end), label in zip(words, labels):
        if label == "O":
            open_type = None
            continue
        prefix, _, entity_type = label.partition("-")
        if prefix not in ("B", "I") or not entity_type:
            raise ValueError(f"not a BIO label: {label!r}")
        if prefix == "I" and entity_type == open_type:
            mentions[-1] = (mentions[-1][0], end, mentions[-1][2])
        else:
            mentions.append((start, end, _SCHEMA_LABELS.get(entity_type, entity_type)))
            open_type = entity_type
    return mentions


@dataclass
class NerModel:
    """A camel NER model, its tokenizer and the word pieces of every word
    seen so far (news repeats its words, and tokenizing one word at a time,
    as camel does, costs a call into the tokenizer per word)."""

    model: object  # BertForTokenClassification, in eval mode
    tokenizer: object  # the BertTokenizer saved with it
    _pieces: dict = field(default_factory=dict, repr=False)
    # labels of sentences already labelled: wire copy repeats whole
    # sentences across outlets, and a sentence's labels depend on it alone
    _labels: dict = field(default_factory=dict, repr=False)

    def remembered_labels(self, words):
        return self._labels.get(tuple(words))

    def remember_labels(self, words, labels):
        if len(self._labels) >= _MAX_CACHED_SENTENCES:
            self._labels.clear()
        self._labels[tuple(words)] = labels

    def piece_ids(self, word):
        """The word piece ids of ``word``, tokenized alone, as camel does."""
        ids = self._pieces.get(word)
        if ids is None:
            if len(self._pieces) >= _MAX_CACHED_WORDS:
                self._pieces.clear()
            ids = self.tokenizer.convert_tokens_to_ids(self.tokenizer.tokenize(word))
            self._pieces[word] = ids
        return ids

    @property
    def max_chunk_pieces(self):
        """Most pieces per forward pass, [CLS] and [SEP] aside: camel's 254,
        or fewer when the model has fewer positions."""
        return min(CAMEL_MAX_SEQ_LENGTH, self.model.config.max_position_embeddings) - 2


def load_ner_model(model_dir, num_threads=None, bfloat16=False):
    """Load camel's NER model folder as ``NERecognizer`` does, for
    inference. ``num_threads`` sets torch's (process-wide) intra-op
    threads; None leaves torch's default.

    ``bfloat16`` runs the encoder in bfloat16 (the classifier stays
    float32): several times faster on CPUs with AMX or AVX512-BF16, slower
    elsewhere, and the labels are no longer exactly camel's where two
    labels score almost alike."""
    import torch
    from transformers import BertForTokenClassification, BertTokenizer

    if num_threads is not None:
        torch.set_num_threads(num_threads)
    model = BertForTokenClassification.from_pretrained(model_dir).eval()
    if "O" not in model.config.id2label.values():
        raise ValueError(f"{model_dir}: the model's labels {model.config.id2label} have no O")
    if bfloat16:
        model.bert.to(torch.bfloat16)
    return NerModel(model, BertTokenizer.from_pretrained(model_dir))


@dataclass
class _Chunk:
    """Part of one sentence that goes through the model in one piece."""

    sentence: int
    words: list  # indices, in the sentence, of the words with pieces
    ids: list  # [CLS] + their pieces + [SEP]
    first_pieces: list  # position of each word's first piece in ids


def _chunks(sentences, ner):
    """Cut each sentence where camel cuts it: greedily, at word boundaries,
    into runs of at most ``max_chunk_pieces`` pieces. Words without pieces
    are left out (they are labelled O). A word longer than a whole chunk
    (camel fails on those) keeps only its first pieces."""
    limit = ner.max_chunk_pieces
    cls_id, sep_id = ner.tokenizer.cls_token_id, ner.tokenizer.sep_token_id
    chunks = []
    for sentence_index, words in enumerate(sentences):
        chunk = _Chunk(sentence_index, [], [cls_id], [])
        for word_index, word in enumerate(words):
            ids = ner.piece_ids(word)[:limit]
            if not ids:
                continue
            if len(chunk.ids) - 1 + len(ids) > limit:
                chunk.ids.append(sep_id)
                chunks.append(chunk)
                chunk = _Chunk(sentence_index, [], [cls_id], [])
            chunk.words.append(word_index)
            chunk.first_pieces.append(len(chunk.ids))
            chunk.ids.extend(ids)
        if chunk.words:
            chunk.ids.append(sep_id)
            chunks.append(chunk)
    return chunks


def _mini_batches(chunks, max_batch_tokens, min_batch_tokens):
    """Chunks sorted by length, in groups padded to their longest chunk. A
    group ends before a longer chunk once it holds ``min_batch_tokens``
    pieces (larger groups are no faster per piece, only padded more), or
    when the next chunk would take it past ``max_batch_tokens``."""
    batch = []
    for chunk in sorted(chunks, key=lambda chunk: len(chunk.ids)):
        if batch:
            width = len(batch[-1].ids)
            grows = len(chunk.ids) > width
            if ((len(batch) + 1) * len(chunk.ids) > max_batch_tokens
                    or (grows and len(batch) * width >= min_batch_tokens)):
                yield batch
                batch = []
        batch.append(chunk)
    if batch:
        yield batch


def label_sentences(sentences, ner, *, max_batch_tokens=DEFAULT_MAX_BATCH_TOKENS,
                    min_batch_tokens=DEFAULT_MIN_BATCH_TOKENS):
    """NER labels of ``sentences`` (lists of words), one per word: camel's
    ``NERecognizer.predict`` labels, except that a word without word pieces
    gets ``O`` instead of being dropped. A sentence met before (wire
    copy) reuses its labels."""
    labels = [ner.remembered_labels(words) for words in sentences]
    # each new sentence once, however often it appears
    new = {}
    for index, words in enumerate(sentences):
        if labels[index] is None:
            new.setdefault(tuple(words), []).append(index)
    distinct = [list(words) for words in new]
    computed = _label_new_sentences(distinct, ner, max_batch_tokens, min_batch_tokens)
    for words, sentence_labels in zip(distinct, computed):
        ner.remember_labels(words, sentence_labels)
        for index in new[tuple(words)]:
            labels[index] = list(sentence_labels)
    return labels


def _label_new_sentences(sentences, ner, max_batch_tokens, min_batch_tokens):
    import torch

    labels = [["O"] * len(words) for words in sentences]
    id2label = ner.model.config.id2label
    pad_id = ner.tokenizer.pad_token_id
    with torch.inference_mode():
        for batch in _mini_batches(_chunks(sentences, ner), max_batch_tokens, min_batch_tokens):
            width = len(batch[-1].ids)
            input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
            attention_mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, chunk in enumerate(batch):
                input_ids[row, :len(chunk.ids)] = chunk.ids
                attention_mask[row, :len(chunk.ids)] = 1
            input_ids = torch.from_numpy(input_ids)
            hidden = ner.model.bert(input_ids=input_ids,
                                    attention_mask=torch.from_numpy(attention_mask),
                                    token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            # Only each word's first piece is labelled, as in camel.
            rows = [row for row, chunk in enumerate(batch) for _ in chunk.first_pieces]
            columns = [position for chunk in batch for position in chunk.first_pieces]
            logits = ner.model.classifier(hidden[rows, columns].float())
            label_ids = iter(logits.argmax(dim=-1).tolist())
            for chunk in batch:
                sentence_labels = labels[chunk.sentence]
                for word_index in chunk.words:
                    sentence_labels[word_index] = id2label[next(label_ids)]
    return labels


def annotate_texts(texts, ner, **batching):
    """Entity mentions ``(start_char, end_char, label)`` of each text, with
    offsets into that text. All sentences of all texts are labelled
    together, so that sorting by length has the most to choose from.
    ``batching``: ``label_sentences``' batch bounds."""
    sentences_by_text = [sentences_with_offsets(text) for text in texts]
    sentences = [sentence for text_sentences in sentences_by_text for sentence in text_sentences]
    labels = iter(label_sentences([[word for word, _, _ in sentence] for sentence in sentences],
                                  ner, **batching))
    return [[mention for sentence in text_sentences
             for mention in mentions_from_labels(sentence, next(labels))]
            for text_sentences in sentences_by_text]
