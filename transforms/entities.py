"""Stage: annotate entities. Articles in; the articles with a compact list of
their distinct entities, and one ``entities`` row per mention, out.

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
from transforms.progress import StageMeter, main_output
from transforms.gazetteer import ANNOTATOR as GAZETTEER, Gazetteer, annotate, load_spec, mention_row

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


class EntityRowsFn(beam.DoFn):
    """An article (``gazetteer``), or RunInference's result for one
    (``camel``: the article and its model spans), in; the article with its
    summary out, its mention rows to ``entities`` as one list."""

    ENTITIES = "entities"

    def __init__(self, annotator, gazetteer_path):
        self.annotator = annotator
        self.gazetteer_path = gazetteer_path

    def setup(self):
        self.gazetteer = Gazetteer.shared(self.gazetteer_path)
        self.meter = StageMeter("entities")

    def process(self, element):
        yield from self.meter.each(self._outputs(element), counted=main_output)

    def _outputs(self, element):
        if self.annotator == GAZETTEER:
            article = element
            mentions = annotate(self.gazetteer, article["text"])
        else:
            article = element.example
            mentions = resolved_mentions(self.gazetteer, article["text"], element.inference)
        out, rows = annotated(article, mentions, self.annotator)
        if rows:
            yield beam.pvalue.TaggedOutput(self.ENTITIES, rows)  # one element per article
        yield out


class AnnotateEntities(beam.PTransform):
    """Articles in; ``(articles, entity_rows)`` out, the rows as one list per
    article that has mentions."""

    def __init__(self, annotator=AUTO, gazetteer_path=None, model_dir=None, precision="float32"):
        super().__init__()
        if precision not in PRECISIONS:
            raise ValueError(f"--ner_precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        self.model_dir = model_dir or camel_ner.default_model_dir()
        self.annotator = choose_annotator(annotator, self.model_dir)
        self.gazetteer_path = gazetteer_path
        self.precision = precision
        load_spec(gazetteer_path)  # a broken lexicon file fails before the run starts

    def expand(self, articles):
        if self.annotator == CAMEL:
            from apache_beam.ml.inference.base import RunInference  # imports torch: only for this annotator

            from transforms.camel_inference import CamelArticleModelHandler

            handler = CamelArticleModelHandler(self.model_dir, bfloat16=self.precision == "bfloat16")
            articles = articles | "CamelNer" >> RunInference(handler)
        outputs = articles | "EntityRows" >> beam.ParDo(EntityRowsFn(self.annotator, self.gazetteer_path)).with_outputs(
            EntityRowsFn.ENTITIES, main="articles")
        return outputs.articles, outputs[EntityRowsFn.ENTITIES]
