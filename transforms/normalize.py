"""Stage 3: readable, consistent title and body text.

``transforms.text.clean_text`` does the work; this stage applies it and turns
away records whose body is missing or absurdly long.
"""

import apache_beam as beam

from transforms import rejects
from transforms.progress import StageMeter, main_output
from transforms.rejects import Rejected
from transforms.text import clean_text, paragraphs

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


class NormalizeArticleFn(beam.DoFn):
    REJECTS = "rejects"

    def __init__(self, max_article_chars, max_title_chars):
        self.max_article_chars = max_article_chars
        self.max_title_chars = max_title_chars

    def setup(self):
        self.meter = StageMeter("normalize")

    def process(self, record):
        yield from self.meter.each(self._article_or_reject(record), counted=main_output)

    def _article_or_reject(self, record):
        try:
            yield normalize_article(record, self.max_article_chars, self.max_title_chars)
        except Rejected as error:
            yield beam.pvalue.TaggedOutput(self.REJECTS, rejects.reject_record(record, error))


class NormalizeArticles(beam.PTransform):
    """Records in; ``(articles, rejects)`` out."""

    def __init__(self, max_article_chars=DEFAULT_MAX_ARTICLE_CHARS, max_title_chars=DEFAULT_MAX_TITLE_CHARS):
        super().__init__()
        self.max_article_chars = max_article_chars
        self.max_title_chars = max_title_chars

    def expand(self, records):
        outputs = records | "Normalize" >> beam.ParDo(
            NormalizeArticleFn(self.max_article_chars, self.max_title_chars)
        ).with_outputs(NormalizeArticleFn.REJECTS, main="articles")
        return outputs.articles, outputs[NormalizeArticleFn.REJECTS]
