"""Stage: annotate entities. Batches of articles in; the articles with a
compact list of their distinct entities, and one ``entities`` row per
mention, out, as the writer's Arrow parts of the ``articles`` and
``entities`` tables: built where the annotation ran, so that neither an
article nor a mention crosses the runner again as a Python dict.

Two annotators behind one interface (``--annotator``):

* ``gazetteer``: the lexicon shipped as data (``transforms/gazetteer.py``);
  needs nothing downloaded.
* ``camel``: camel-tools' NER model under RunInference
  (``transforms/camel_inference.py``); each mention then gets its canonical name
  and id from the gazetteer where an entry matches.
* ``auto`` (default): ``camel`` where the model is installed, else
  ``gazetteer``.

Every mention's ``start_char``/``end_char`` slice the article's ``text``
to exactly its ``mention``.
"""

import apache_beam as beam

from transforms import camel_ner
from transforms.gazetteer import ANNOTATOR as GAZETTEER, Gazetteer, annotate, load_spec, mention_row
from transforms.pool import PooledFn
from transforms.progress import StageMeter, nothing
from transforms.write import partitioned_tables

CAMEL, AUTO = "camel", "auto"
ANNOTATORS = (AUTO, GAZETTEER, CAMEL)
PRECISIONS = ("float32", "bfloat16")


def choose_annotator(annotator, model_dir=None):
    """The annotator a run uses; ``camel`` without a model is an error
    raised before the run starts."""
    if annotator not in ANNOTATORS:
        raise ValueError(f"--annotator must be one of {', '.join(ANNOTATORS)}, not {annotator!r}")
    installed = camel_ner.is_installed(model_dir)
    if annotator == CAMEL and not installed:
        raise ValueError("--annotator camel needs the camel-tools NER model: run `camel_data -i ner-arabert` "
                         "or pass --ner_model_dir")
    if annotator == AUTO:
        return CAMEL if installed else GAZETTEER
    return annotator


def entity_summary(rows):
    """The article's distinct entities, most mentioned first:
    ``[{canonical, entity_id, label, mentions}]``."""
    counts = {}
    for row in rows:
        key = (row["canonical"], row["entity_id"], row["label"])
        counts[key] = counts.get(key, 0) + 1
    return [
        {"canonical": canonical, "entity_id": entity_id, "label": label, "mentions": count}
        for (canonical, entity_id, label), count in sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    ]


def annotated(article, mentions, annotator):
    """``(article_with_summary, entity_rows)`` for an article and its
    mentions (``{mention, label, start_char, end_char, canonical,
    entity_id}``)."""
    rows = [
        {"article_id": article["article_id"], "date": article.get("date"), "source": article.get("source"),
         "annotator": annotator, **mention}
        for mention in mentions
    ]
    return {**article, "entities": entity_summary(rows)}, rows


def resolved_mentions(gazetteer, text, spans):
    """Model spans ``(start, end, label)`` as mentions with canonical names:
    a span the gazetteer knows (through its proclitics, ``وبكين``) gets the
    entry's name and id and loses the proclitic; any other keeps its
    spelling as its name."""
    mentions = []
    for start, end, label in spans:
        entity, stripped = gazetteer.resolve_span(text[start:end])
        mentions.append(mention_row(text, start + stripped, end, label, entity and entity.canonical,
                                    entity and entity.entity_id))
    return mentions


def table_parts(annotated_articles):
    """``annotated`` results (article, mention rows) as the writer's parts
    of the ``articles`` and ``entities`` tables."""
    articles = [article for article, _ in annotated_articles]
    rows = [row for _, article_rows in annotated_articles for row in article_rows]
    return partitioned_tables(articles, "articles") + partitioned_tables(rows, "entities")


def gazetteer_parts(batch, gazetteer_path):
    """A batch of articles through the gazetteer, as ``table_parts``."""
    gazetteer = Gazetteer.shared(gazetteer_path)
    return table_parts([annotated(article, annotate(gazetteer, article["text"]), GAZETTEER) for article in batch])


class CamelRowsFn(beam.DoFn):
    """RunInference's result for one article (the article and its model
    spans) in; ``annotated``'s ``(article, mention_rows)`` out."""

    def __init__(self, gazetteer_path):
        self.gazetteer_path = gazetteer_path

    def setup(self):
        self.gazetteer = Gazetteer.shared(self.gazetteer_path)
        self.meter = StageMeter("entities")

    def process(self, result):
        article = result.example
        yield from self.meter.each(
            [annotated(article, resolved_mentions(self.gazetteer, article["text"], result.inference), CAMEL)])


# Articles per part-building call after the camel model, as many as in the
# batches that reach this stage.
CAMEL_PARTS_BATCH = 100


class AnnotateEntities(beam.PTransform):
    """Batches of articles in; the ``articles`` and ``entities`` tables out,
    as the writer's parts (``partitioned_tables``). The camel model's
    articles go one by one (RunInference makes its own batches) and are
    batched again to build the parts."""

    def __init__(self, annotator=AUTO, gazetteer_path=None, model_dir=None, precision="float32", processes=1):
        super().__init__()
        if precision not in PRECISIONS:
            raise ValueError(f"--ner_precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        self.model_dir = model_dir or camel_ner.default_model_dir()
        self.annotator = choose_annotator(annotator, self.model_dir)
        self.gazetteer_path = gazetteer_path
        self.precision = precision
        self.processes = processes
        load_spec(gazetteer_path)  # a broken lexicon file fails before the run starts

    def expand(self, article_batches):
        if self.annotator == CAMEL:
            from apache_beam.ml.inference.base import RunInference  # imports torch: only for this annotator

            from transforms.camel_inference import CamelArticleModelHandler

            handler = CamelArticleModelHandler(self.model_dir, bfloat16=self.precision == "bfloat16")
            return (
                article_batches
                | "Articles" >> beam.FlatMap(lambda batch: batch)
                | "CamelNer" >> RunInference(handler)
                | "EntityRows" >> beam.ParDo(CamelRowsFn(self.gazetteer_path))
                | "Batch" >> beam.BatchElements(min_batch_size=CAMEL_PARTS_BATCH, max_batch_size=CAMEL_PARTS_BATCH)
                | "TableParts" >> beam.ParDo(PooledFn("write", table_parts, counted=nothing, processes=self.processes))
            )
        return article_batches | "TableParts" >> beam.ParDo(PooledFn(
            "entities", gazetteer_parts, self.gazetteer_path, counted_input=len, processes=self.processes,
        ))
