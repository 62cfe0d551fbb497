"""The whole job through its command-line interface, read back with DuckDB."""

import json
import pathlib
import re
import subprocess
import sys

import pytest

from pipelines.akhbar import run
from tests.conftest import ARABIC_BODY, jsonl, query, read_table, table_glob, write

REPO = pathlib.Path(__file__).resolve().parent.parent

# What the seeds' manifest says (seeds/manifest.jsonl, from seeds/README.md).
SEED_PARTITIONS = [
    ("000_cca0c5f261136c2d.txt", "2025-09-03", None),
    ("001_06eb678c74ab6c05.txt", "2024-06-19", "asharq-al-awsat"),
    ("002_e6732b22faddb284.txt", "2025-09-02", "al-rai-al-thaleth"),
    ("003_fecba1eea8640c46.txt", "2025-09-03", "khabaryn"),
    ("004_e3af24a4f8e057b6.txt", "2024-07-04", "khabaryn"),
]


@pytest.fixture(scope="module")
def seeds_output(tmp_path_factory):
    output = tmp_path_factory.mktemp("seeds") / "out"
    report = run(["--input", str(REPO / "seeds"), "--output", str(output)])
    return output, report


def test_seeds_land_in_the_manifest_partitions(seeds_output):
    output, report = seeds_output
    rows = read_table(
        output, "articles",
        "regexp_extract(input_path, '[^/]+$'), date::varchar, source, source_from, date_from",
    )
    assert rows == [
        (name, date, source, "unknown" if source is None else "manifest", "manifest")
        for name, date, source in SEED_PARTITIONS
    ]
    assert report["articles_written"] == 5 and report["rejects_total"] == 0 and report["balanced"]


def seed_article(output, name, columns="title, text"):
    ((*values,),) = read_table(output, "articles", columns, f"input_path like '%{name}'")
    return values


def raw_lines(name):
    raw = (REPO / "seeds" / name).read_text(encoding="utf-8")
    return [re.sub(r"\s+", " ", line.strip()) for line in raw.splitlines() if line.strip()]


def test_seed_000_keeps_every_body_line(seeds_output):
    output, _ = seeds_output
    title, text = seed_article(output, SEED_PARTITIONS[0][0])
    first_line, *body = raw_lines(SEED_PARTITIONS[0][0])
    assert title == first_line
    assert text.split("\n") == body
    assert read_table(output, "removed_paragraphs", "count(*)", "source is null") == [(0,)]


# Chrome named in seeds/README.md, and a body line that must stay, per seed.
SEED_CHROME = {
    "001_06eb678c74ab6c05.txt": (
        ["TT", "يعرضان اتفاقية «التعاون الاستراتيجي الشامل» (رويترز)", "مقالات ذات صلة",
         "الموكب الرئاسي في بيونغ يانغ (إ.ب.أ)", "«الشرق الأوسط» (كييف)"],
        "أطلقت موسكو وبيونغ يانغ الأربعاء مرحلة جديدة نوعياً في العلاقات",
    ),
    "002_e6732b22faddb284.txt": (
        ["Logo", "الرأي الثالث - وكالات", "(فرانس برس، رويترز)"],
        "قال الرئيس الروسي فلاديمير بوتين لنظيره الصيني شي جين بينغ",
    ),
    "003_fecba1eea8640c46.txt": (
        ["تفاصيل مثيرة حول الشراكة الاستراتيجية والتوترات العالمية. خَبَرَيْن.", "أخبار ذات صلة",
         "ناسا تريد من الولايات المتحدة أن تكون أول دولة تضع مفاعلًا نوويًا على القمر"],
        "رفض أحد مساعدي الكرملين تصريحات الرئيس الأمريكي دونالد ترامب",
    ),
    "004_e3af24a4f8e057b6.txt": (
        ["تفاصيل أكثر على خَبَرْيْن.", "شاهد ايضاً:"],
        "حثّ الزعيم الصيني شي جين بينغ يوم الخميس القادة الإقليميين",
    ),
}


@pytest.mark.parametrize("name", sorted(SEED_CHROME))
def test_seed_chrome_is_gone_and_the_body_stays(seeds_output, name):
    output, _ = seeds_output
    title, text = seed_article(output, name)
    chrome, body_line = SEED_CHROME[name]
    for line in chrome:
        assert line not in text, line
    assert body_line in text
    assert title and title not in text
    removed = read_table(output, "removed_paragraphs", "paragraph", f"article_id = (select article_id from "
                         f"read_parquet('{table_glob(output, 'articles')}') where input_path like '%{name}')")
    assert removed


def test_appended_pakistan_article_is_not_part_of_001(seeds_output):
    output, _ = seeds_output
    title, text = seed_article(output, "001_06eb678c74ab6c05.txt")
    assert "باكستان" not in text and "طالبان" not in text
    assert title == "بوتين وكيم يعززان التحالف في مواجهة «الإمبريالية الأميركية»"
    assert text.startswith("اتفاقية «التعاون الاستراتيجي» تضمن دفاعاً مشتركاً ضد «عدوان خارجي»")
    pakistan_lines = sum("باكستان" in line for line in raw_lines("001_06eb678c74ab6c05.txt"))
    assert read_table(output, "removed_paragraphs", "reason, count(*)",
                      "paragraph like '%باكستان%' group by reason") == [("related_block", pakistan_lines)]


def test_seeds_000_and_002_share_wire_paragraphs_but_are_not_copies(seeds_output):
    output, _ = seeds_output
    ids = {name: seed_article(output, name, "article_id")[0] for name, *_ in SEED_PARTITIONS}
    wire = {name: seed_article(output, name, "wire_paragraph_count, wire_article_ids, cluster_size, is_canonical")
            for name in ids}
    first, second = "000_cca0c5f261136c2d.txt", "002_e6732b22faddb284.txt"
    assert wire[second][0] >= 2 and wire[second][1] == [ids[first]]
    assert wire[first][0] >= 1 and wire[first][1] == [ids[second]]
    assert all(size == 1 and canonical for _, _, size, canonical in wire.values())


def test_seeds_000_and_002_share_passages_whose_offsets_slice_both_texts_to_the_same_words(seeds_output):
    output, _ = seeds_output
    from transforms.text import matching_key

    passages = query(f"""
        select p.article_id, p.other_article_id, p.word_count, p.similarity, p.other_date::varchar, p.other_source,
               substr(a.text, p.start_char + 1, p.end_char - p.start_char),
               substr(b.text, p.other_start_char + 1, p.other_end_char - p.other_start_char)
        from read_parquet('{table_glob(output, "shared_passages")}', hive_partitioning = true) p
        join read_parquet('{table_glob(output, "articles")}', hive_partitioning = true) a using (article_id)
        join read_parquet('{table_glob(output, "articles")}', hive_partitioning = true) b
          on b.article_id = p.other_article_id
        order by all""")
    ids = {name: seed_article(output, name, "article_id")[0] for name, *_ in SEED_PARTITIONS}
    first, second = ids["000_cca0c5f261136c2d.txt"], ids["002_e6732b22faddb284.txt"]
    assert {(row[0], row[1]) for row in passages} == {(first, second), (second, first)}
    assert len(passages) >= 2 and len(passages) % 2 == 0  # each passage from both sides
    for _, other, words, similarity, other_date, other_source, mine, theirs in passages:
        assert words >= 20 and 0.5 < similarity <= 1.0
        assert (other_date, other_source) == (("2025-09-02", "al-rai-al-thaleth") if other == second
                                              else ("2025-09-03", None))
        assert len(mine.split()) >= 20
        if similarity == 1.0:
            assert matching_key(mine) == matching_key(theirs)
        else:
            shared = set(matching_key(mine).split()) & set(matching_key(theirs).split())
            assert len(shared) >= 0.8 * len(set(matching_key(mine).split()))


def test_seed_002_title_skips_the_logo_line(seeds_output):
    output, _ = seeds_output
    title, _ = seed_article(output, "002_e6732b22faddb284.txt")
    assert title == "بوتين خلال قمة مع شي: العلاقات مع بكين ارتقت إلى مستوى غير مسبوق"


def test_seed_tables_have_their_documented_columns(seeds_output):
    output, _ = seeds_output
    for table, required in {
        "articles": {"article_id", "source", "date", "url", "title", "text", "input_path"},
        "entities": {"article_id", "mention", "label", "start_char", "end_char", "canonical"},
        "rejects": {"input_path", "reason", "detail", "size_bytes"},
    }.items():
        columns = {
            name for (name,) in query(
                f"select column_name from (describe select * from read_parquet('{table_glob(output, table)}', "
                "hive_partitioning=true))"
            )
        }
        assert required <= columns, table


# The main people, places and organisations of each seed (from reading them).
SEED_ENTITIES = {
    "000": {"per/vladimir-putin", "per/xi-jinping", "per/kim-jong-un", "per/narendra-modi", "loc/china", "loc/russia",
            "loc/north-korea", "loc/beijing", "org/sco"},
    "001": {"per/vladimir-putin", "per/kim-jong-un", "loc/north-korea", "loc/pyongyang", "loc/russia", "loc/moscow"},
    "002": {"per/vladimir-putin", "per/xi-jinping", "per/kim-jong-un", "per/narendra-modi", "loc/beijing", "loc/china",
            "org/kremlin", "org/sco"},
    "003": {"per/vladimir-putin", "per/kim-jong-un", "per/donald-trump", "loc/pyongyang", "loc/north-korea",
            "org/kremlin"},
    "004": {"per/vladimir-putin", "per/xi-jinping", "loc/china", "loc/russia", "loc/beijing",
            "org/sco"},
}


def test_seed_entities_come_out_with_one_canonical_name_each(seeds_output):
    output, _ = seeds_output
    for seed, expected in SEED_ENTITIES.items():
        (summary,) = read_table(output, "articles", "[e.entity_id for e in entities]",
                                f"input_path like '%/{seed}_%'")[0]
        assert expected <= set(summary), (seed, expected - set(summary))
    # every spelling of an entity is named one way, in the mentions and in the article summaries
    names = read_table(output, "entities", "entity_id, count(distinct canonical), count(distinct mention)",
                       "entity_id is not null group by entity_id")
    assert names and all(canonicals == 1 for _, canonicals, _ in names)
    spellings = dict((entity, mentions) for entity, _, mentions in names)
    assert spellings["per/vladimir-putin"] >= 2  # "فلاديمير بوتين", "بوتين", ...
    rows = query(
        f"select e.mention, e.label, e.canonical, e.annotator, "
        f"substr(a.text, e.start_char + 1, e.end_char - e.start_char) = e.mention "
        f"from read_parquet('{table_glob(output, 'entities')}', hive_partitioning=true) e "
        f"join read_parquet('{table_glob(output, 'articles')}', hive_partitioning=true) a using (article_id)"
    )
    assert rows and all(sliced for *_, sliced in rows)
    assert {annotator for _, _, _, annotator, _ in rows} == {"gazetteer"}
    assert not [m for m, label, *_ in rows if m in ("الروسي", "الصينية", "الكورية", "الروسية")]


def test_report_file_and_printed_table(seeds_output, capsys):
    output, report = seeds_output
    on_disk = json.loads((output / "_run_report.json").read_text())
    assert on_disk == report
    assert on_disk["files_matched"] == 5
    assert on_disk["rows_per_table"]["articles"] == 5
    assert on_disk["rows_per_table"]["entities"] > 0 and on_disk["rows_per_table"]["rejects"] == 0
    assert on_disk["rows_per_table"]["removed_paragraphs"] > 0
    assert on_disk["articles_per_second"] > 0


def snapshot(output):
    tables = {t: read_table(output, t) for t in ("articles", "entities", "removed_paragraphs", "rejects")}
    files = sorted(str(p.relative_to(output)) for p in output.rglob("*.parquet"))
    return tables, files


def test_rerun_gives_identical_rows_and_no_stale_files(tmp_path):
    output = tmp_path / "out"
    run(["--input", str(REPO / "seeds"), "--output", str(output)])
    first = snapshot(output)
    stale = output / "articles" / "date=2024-06-19" / "source=asharq-al-awsat" / "part-00009.parquet"
    stale.write_bytes(b"left over by some older run")
    run(["--input", str(REPO / "seeds"), "--output", str(output)])
    assert snapshot(output) == first
    assert not stale.exists()
    assert not (output / "_staging").exists()


def make_bad_inputs(folder):
    """Every kind of bad input the job must survive, plus good ones.
    Returns the number of records a reader would count in it."""
    good = f"عنوان الخبر\n{ARABIC_BODY}"
    write(folder / "good.txt", good)
    write(folder / "empty.txt", b"")
    write(folder / "binary.txt", bytes(range(256)) * 40)
    write(folder / "latin1.txt", "Le président a déclaré à la télévision nationale".encode("latin-1"))
    write(folder / "cp1256.txt", good.encode("windows-1256"))
    write(folder / "lines.jsonl", jsonl({"title": "أ", "text": ARABIC_BODY}) + "{not json\n"
          + jsonl({"title": "بلا نص"}))
    write(folder / "escape.json", json.dumps({"source": "../../../outside", "text": ARABIC_BODY,
                                              "date": "2024-06-19"}, ensure_ascii=False))
    write(folder / "dots.json", json.dumps({"source": "..", "text": ARABIC_BODY}, ensure_ascii=False))
    write(folder / "one_line.txt", "ا" * (10 * 1024 * 1024))
    write(folder / "one_line.jsonl", jsonl({"text": "ب" * (10 * 1024 * 1024)}))
    write(folder / "notes.pdf", b"%PDF-1.7")
    # good, empty, binary, latin1, cp1256, 3 lines, escape, dots, one_line x2, pdf
    return 13


def test_bad_inputs_are_rejected_with_reasons_and_nothing_escapes(tmp_path):
    inputs, output = tmp_path / "in", tmp_path / "out"
    records_in = make_bad_inputs(inputs)
    report = run(["--input", str(inputs), "--output", str(output)])

    articles = read_table(output, "articles", "regexp_extract(input_path, '[^/]+$'), record_index, source, encoding")
    rejected = read_table(output, "rejects", "regexp_extract(input_path, '[^/]+$'), record_index, reason")
    assert len(articles) + len(rejected) == records_in
    assert report["balanced"] and report["files_matched"] == 11
    assert articles == [
        ("cp1256.txt", 0, None, "windows-1256"),
        ("dots.json", 0, None, "utf-8"),
        ("escape.json", 0, "outside", "utf-8"),
        ("good.txt", 0, None, "utf-8"),
        ("lines.jsonl", 0, None, "utf-8"),
    ]
    assert rejected == [
        ("binary.txt", None, "binary_file"),
        ("empty.txt", None, "empty_file"),
        ("latin1.txt", None, "undecodable"),
        ("lines.jsonl", 1, "malformed_json"),
        ("lines.jsonl", 2, "missing_text"),
        ("notes.pdf", None, "unsupported_format"),
        ("one_line.jsonl", 0, "text_too_long"),
        ("one_line.txt", 0, "missing_text"),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    assert sorted(p.name for p in output.iterdir()) == [
        "_run_report.json", "_syndication", "articles", "entities", "rejects", "removed_paragraphs",
        "shared_passages"]
    for path in output.rglob("*"):
        assert path.resolve().is_relative_to(output.resolve())


def test_every_metadata_path(tmp_path):
    inputs, output = tmp_path / "in", tmp_path / "out"
    body = ARABIC_BODY
    write(inputs / "record.json", json.dumps({"id": "x1", "url": "https://www.aljazeera.net/news/1",
                                              "site_name": "الجزيرة", "datePublished": "2024-05-01T09:00:00+03:00",
                                              "headline": "عنوان", "content": body}, ensure_ascii=False))
    write(inputs / "listed.txt", f"عنوان\n{body}")
    write(inputs / "listed_by_url.jsonl", jsonl({"url": "https://example.com/a/1", "text": body}))
    write(inputs / "source=alrai" / "date=2024-05-03" / "hive.txt", f"عنوان\n{body}")
    write(inputs / "aawsat" / "2024" / "05" / "04" / "folders.txt.gz", f"عنوان\n{body}")
    write(inputs / "misc" / "story_2024-05-05.txt.bz2", f"عنوان\n{body}")
    write(inputs / "host_and_text.jsonl.zst", jsonl({"link": "https://m.alraimedia.com/x",
                                                     "body": f"الكويت - ٦ أيار ٢٠٢٤: {body}"}))
    write(inputs / "nothing.txt", f"عنوان\nاليوم 3 سبتمبر {body}")
    write(inputs / "manifest.csv", "path,source,date,url\nlisted.txt,Asharq Al-Awsat,2024-05-02,\n"
                                   ",Khabaryn,2024-05-07,https://example.com/a/1\n")
    run(["--input", str(inputs), "--output", str(output)])
    rows = read_table(output, "articles",
                      "regexp_extract(input_path, '[^/]+$'), source, source_from, date::varchar, date_from, "
                      "url_from, published_at::varchar")
    assert rows == [
        ("folders.txt.gz", "aawsat", "path", "2024-05-04", "path", "unknown", None),
        ("hive.txt", "alrai", "path", "2024-05-03", "path", "unknown", None),
        ("host_and_text.jsonl.zst", "alraimedia-com", "url", "2024-05-06", "text", "record", None),
        ("listed.txt", "asharq-al-awsat", "manifest", "2024-05-02", "manifest", "unknown", None),
        ("listed_by_url.jsonl", "khabaryn", "manifest", "2024-05-07", "manifest", "record", None),
        ("nothing.txt", None, "unknown", None, "unknown", "unknown", None),
        ("record.json", "aljzyra", "record", "2024-05-01", "record", "record", "2024-05-01 06:00:00+00"),
        ("story_2024-05-05.txt.bz2", None, "unknown", "2024-05-05", "path", "unknown", None),
    ]
    assert read_table(output, "rejects", "count(*)") == [(0,)]


def test_explicit_manifest_overrides_the_folder_one(tmp_path):
    inputs, output = tmp_path / "in", tmp_path / "out"
    write(inputs / "a.txt", f"عنوان\n{ARABIC_BODY}")
    write(inputs / "manifest.jsonl", jsonl({"path": "a.txt", "source": "Folder", "date": "2024-01-01"}))
    write(tmp_path / "mine.jsonl", jsonl({"path": str(inputs / "a.txt"), "source": "Mine", "date": "2024-02-02"}))
    run(["--input", str(inputs / "*.txt"), "--input", str(inputs), "--output", str(output),
         "--manifest", str(tmp_path / "mine.jsonl")])
    assert read_table(output, "articles", "source, date::varchar") == [("mine", "2024-02-02")]


def cookbook_queries():
    """The SQL blocks of the README's DuckDB cookbook."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## DuckDB cookbook", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def test_readme_cookbook_has_four_to_six_queries():
    assert 4 <= len(cookbook_queries()) <= 6


@pytest.mark.parametrize("sql", cookbook_queries())
def test_readme_cookbook_queries_run_on_the_seeds(seeds_output, sql):
    output, _ = seeds_output
    assert "'out/" in sql
    rows = query(sql.replace("'out/", f"'{output}/"))
    assert rows, "the query returned nothing on the seeds"


def test_console_command_help_lists_every_option_ours_and_beams():
    from pipelines.akhbar import add_akhbar_options
    import argparse

    parser = argparse.ArgumentParser()
    add_akhbar_options(parser)
    options = [a.option_strings[0] for a in parser._actions if a.option_strings and a.dest != "help"]
    akhbar = pathlib.Path(sys.executable).parent / "akhbar"
    shown = subprocess.run([str(akhbar), "--help"], capture_output=True, text=True, check=True).stdout
    assert len(options) >= 8
    for option in [*options, "--runner", "--direct_num_workers", "--project", "--setup_file", "--job_endpoint",
                   "--flink_master", "--spark_master_url"]:
        assert option in shown
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for option in options:
        assert f"`{option}" in readme, f"README does not document {option}"


def test_beam_gets_only_its_own_flags(caplog):
    """Workers parse the pipeline options again: a flag of ours among them
    was a "Discarding unparseable args" warning per worker and option."""
    from pipelines.akhbar import parse_options

    pipeline_options, options = parse_options([
        "--input", "in", "--output=out", "--syndication_window_days", "30", "--runner", "DirectRunner",
        "--direct_num_workers=2", "--direct_running_mode", "multi_processing", "--processes", "2"])
    assert (options.input, options.output, options.syndication_window_days, options.processes) == (
        ["in"], "out", 30, 2)
    with caplog.at_level("WARNING"):
        beam_options = pipeline_options.get_all_options(retain_unknown_options=True)
    assert "Discarding" not in caplog.text
    assert not {"input", "output", "syndication_window_days", "processes"} & set(beam_options)
    assert (beam_options["runner"], beam_options["direct_num_workers"], beam_options["direct_running_mode"]) == (
        "DirectRunner", 2, "multi_processing")


def test_nothing_assumes_local_paths():
    """The same job over an in-memory fsspec file system (as it would over gs://)."""
    import fsspec
    import pyarrow.dataset as ds

    fs = fsspec.filesystem("memory")
    fs.pipe("/news/source=alrai/date=2024-06-19/a.txt", f"عنوان\n{ARABIC_BODY}".encode())
    fs.pipe("/news/b.jsonl", jsonl({"text": ARABIC_BODY, "source": "Aawsat", "date": "2024-06-20"}).encode())
    fs.pipe("/news/manifest.csv", b"path,source,date\nc.txt,Khabaryn,2024-06-21\n")
    fs.pipe("/news/c.txt", f"عنوان\n{ARABIC_BODY}".encode())
    fs.pipe("/news/empty.txt", b"")
    # one process: a memory file system lives in its process (a bucket does not)
    report = run(["--input", "memory://news", "--output", "memory://out", "--processes", "1"])
    assert report["articles_written"] == 3 and report["rejects_total"] == 1 and report["balanced"]
    articles = ds.dataset("/out/articles", filesystem=fs, format="parquet", partitioning="hive").to_table()
    assert sorted(zip(articles["source"].to_pylist(), map(str, articles["date"].to_pylist()))) == [
        ("aawsat", "2024-06-20"), ("alrai", "2024-06-19"), ("khabaryn", "2024-06-21")]
    assert all(path.startswith("memory:///news/") for path in articles["input_path"].to_pylist())
    assert fs.exists("/out/_run_report.json") and not fs.exists("/out/_staging")


def test_missing_required_options_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "pipelines.akhbar", "--input", "seeds"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2
    assert "--input and --output are required" in result.stderr
