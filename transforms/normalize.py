"""Stage 3: readable, consistent title and body text.

``transforms.text.clean_text`` does the work; this stage applies it and turns
away records whose body is missing or absurdly long.
"""

import apache_beam as beam

from transforms import rejects
from transforms.pool import PooledFn
from transforms.progress import batch_size
from transforms.rejects import Rejected
from transforms.text import ARTICLES_PER_BATCH, clean_text, paragraphs

DEFAULT_MAX_ARTICLE_CHARS = 1_000_000
DEFAULT_MAX_TITLE_CHARS = 1_000


def normalize_article(record, max_article_chars=DEFAULT_MAX_ARTICLE_CHARS,
                      max_title_chars=DEFAULT_MAX_TITLE_CHARS):
    """The record with cleaned ``title`` and ``text``. Raises ``Rejected``."""
    raw_text = record.get("text") or ""
    if len(raw_text) > 4 * max_article_chars:  # don't spend time cleaning it
        raise Rejected(rejects.TEXT_TOO_LONG, f"{len(raw_text)} characters before cleaning")
    text = clean_text(raw_text)
    if not text:
        raise Rejected(rejects.MISSING_TEXT, "no body text" if not raw_text.strip() else "only invisible characters")
    if len(text) > max_article_chars:
        raise Rejected(rejects.TEXT_TOO_LONG, f"{len(text)} characters > {max_article_chars}")
    title = clean_text(record.get("title") or "").replace("\n", " ") or None
    if title and len(title) > max_title_chars:
        raise Rejected(rejects.TITLE_TOO_LONG, f"{len(title)} characters > {max_title_chars}")
    out = dict(record)
    out.update(
        title=title,
        text=text,
        source_name=clean_text(record["source_name"]) if record.get("source_name") else None,
        char_count=len(text),
        paragraph_count=len(paragraphs(text)),
    )
    return out


REJECTS = "rejects"


def normalize_batch(records, max_article_chars, max_title_chars):
    """A batch of records in; the batch of their cleaned articles (if any),
    then a rejects row (tagged ``rejects``) for each record turned away."""
    articles, rejected = [], []
    for record in records:
        try:
            articles.append(normalize_article(record, max_article_chars, max_title_chars))
        except Rejected as error:
            rejected.append(beam.pvalue.TaggedOutput(REJECTS, rejects.reject_record(record, error)))
    return ([articles] if articles else []) + rejected


class NormalizeArticles(beam.PTransform):
    """Records in; ``(article_batches, rejects)`` out: from here on articles
    travel in batches, so that each step's per-element cost is paid once per
    batch and its numpy work covers many articles."""

    def __init__(self, max_article_chars=DEFAULT_MAX_ARTICLE_CHARS, max_title_chars=DEFAULT_MAX_TITLE_CHARS,
                 processes=1):
        super().__init__()
        self.max_article_chars = max_article_chars
        self.max_title_chars = max_title_chars
        self.processes = processes

    def expand(self, records):
        outputs = (
            records
            | "Batches" >> beam.BatchElements(min_batch_size=ARTICLES_PER_BATCH, max_batch_size=ARTICLES_PER_BATCH)
            | "Normalize" >> beam.ParDo(PooledFn(
                "normalize", normalize_batch, self.max_article_chars, self.max_title_chars, counted=batch_size,
                processes=self.processes)).with_outputs(REJECTS, main="articles")
        )
        return outputs.articles, outputs[REJECTS]
