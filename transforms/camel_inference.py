"""camel-tools' NER model under Beam's RunInference: the model handlers.

Apart from ``transforms.camel_ner`` (the model and its labelling) because
importing RunInference imports torch and ``apache_beam.ml``, seconds that a
run with the gazetteer annotator should not pay.
"""

from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from transforms.camel_ner import (
    DEFAULT_MAX_BATCH_TOKENS, DEFAULT_MIN_BATCH_TOKENS, annotate_texts, label_sentences, load_ner_model,
)


def _word_count(words):
    """A sentence's weight in RunInference's batching (a module function,
    so that it pickles)."""
    return len(words)


class CamelNerModelHandler(ModelHandler):
    """RunInference handler for camel's NER model: examples are sentences
    (lists of words), inferences their labels (``label_sentences``).

    Each worker process loads its own copy (540 MB for AraBERT) and runs
    ``num_threads`` torch threads: Beam runs about one SDK process per core
    (Dataflow, the DirectRunner's multi_processing mode), so one thread each
    uses every core without oversubscribing. Sharing one copy across
    processes (Beam's ``large_model``) would send every batch through a
    single process.
    """

    def __init__(self, model_dir, *, num_threads=1, bfloat16=False,
                 max_batch_tokens=DEFAULT_MAX_BATCH_TOKENS, min_batch_tokens=DEFAULT_MIN_BATCH_TOKENS,
                 min_batch_words=500, max_batch_words=20000):
        """``min_batch_words``/``max_batch_words`` bound the words per batch
        RunInference hands over: hundreds of sentences at a time let length
        sorting group them with little padding; ``label_sentences`` then
        cuts the batch into forward passes of ``min_batch_tokens`` to
        ``max_batch_tokens`` pieces. ``num_threads`` and ``bfloat16``: see
        ``load_ner_model``."""
        super().__init__()
        self._model_dir = str(model_dir)
        self._num_threads = num_threads
        self._bfloat16 = bfloat16
        self._batch_tokens = {"max_batch_tokens": max_batch_tokens, "min_batch_tokens": min_batch_tokens}
        self._batch_words = {"min_batch_size": min_batch_words, "max_batch_size": max_batch_words,
                             "element_size_fn": _word_count}

    def load_model(self):
        return load_ner_model(self._model_dir, self._num_threads, self._bfloat16)

    def run_inference(self, batch, model, inference_args=None):
        labels = label_sentences(batch, model, **self._batch_tokens)
        return [PredictionResult(words, sentence_labels) for words, sentence_labels in zip(batch, labels)]

    def validate_inference_args(self, inference_args):
        if inference_args:
            raise ValueError(f"CamelNerModelHandler takes no inference_args, got {sorted(inference_args)}")

    def batch_elements_kwargs(self):
        return self._batch_words

    def get_num_bytes(self, batch):
        return sum(len(word.encode("utf-8")) for words in batch for word in words)

    def get_metrics_namespace(self):
        return "CamelNer"


def _article_words(article):
    return len(article["text"].split())


class CamelArticleModelHandler(CamelNerModelHandler):
    """The same model with whole articles as examples and their mention
    spans ``(start_char, end_char, label)`` as inferences: no regrouping of
    sentences by article after inference. A batch's sentences are all
    sorted by length together (``annotate_texts``)."""

    def __init__(self, model_dir, **kwargs):
        super().__init__(model_dir, **kwargs)
        self._batch_words = {**self._batch_words, "element_size_fn": _article_words}

    def run_inference(self, batch, model, inference_args=None):
        spans = annotate_texts([article["text"] for article in batch], model, **self._batch_tokens)
        return [PredictionResult(article, article_spans) for article, article_spans in zip(batch, spans)]

    def get_num_bytes(self, batch):
        return sum(len(article["text"].encode("utf-8")) for article in batch)
