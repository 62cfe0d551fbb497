import datetime as dt
import random

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

import schemas
from benchmarks.corpus import sentence
from transforms import history
from transforms import syndication as syn
from transforms.spill import stored_each
from transforms.text import matching_key
from transforms.write import PART_NAME, laid_over, partition_path

D = dt.date


def story(seed, paragraphs=8):
    rng = random.Random(seed)
    return [" ".join(sentence(rng) for _ in range(2)) for _ in range(paragraphs)]


def article(article_id, paragraphs, source="s", date=D(2024, 6, 19)):
    return {"article_id": article_id, "text": "\n".join(paragraphs), "source": source, "date": date,
            "published_at": None}


def shingles_of(text):
    return syn.shingle_hashes(matching_key(text).split())


def minhash(shingles):
    return syn.signatures(shingles, np.array([0, len(shingles)]))[0]


def article_features(article):
    return syn.describe_articles([article])[0][0]


def test_shingles_are_stable_and_fold_spelling_variants():
    assert np.array_equal(shingles_of("إلى المدرسةِ الكبيرة اليوم"), shingles_of("الى المدرسه الكبيره اليوم"))
    assert len(shingles_of("a b c d e")) == 3
    assert len(shingles_of("كلمة")) == 1 and len(shingles_of("")) == 0


def test_minhash_matches_a_reference_loop():
    values = shingles_of(" ".join(story(1)))
    expected = [min(((int(a) * int(x) + int(b)) % 2**64) >> 32 for x in values) for a, b in zip(syn._A, syn._B)]
    assert minhash(values).tolist() == expected


def test_signatures_of_many_articles_are_each_article_alone():
    sets = [shingles_of(" ".join(story(seed, 3))) for seed in (30, 31)] + [np.zeros(0, dtype=np.uint64)]
    sets.append(shingles_of(" ".join(story(32, 4))))
    starts = np.cumsum([0] + [len(s) for s in sets])
    together = syn.signatures(np.concatenate(sets), starts)
    assert [row.tolist() for row in together] == [minhash(s).tolist() for s in sets]
    assert set(together[2].tolist()) == {0xFFFFFFFF}  # no shingles: the maximum everywhere


def test_a_batch_describes_each_article_as_it_would_alone():
    docs = [article("p", story(40, 4)), article("q", []), article("r", ["كلمة", "كلمتان هنا"] + story(41, 2)),
            article("s", story(42, 6))]
    features, keys, owners = syn.describe_articles(docs)
    for index, doc in enumerate(docs):
        alone_features, alone_keys, _ = syn.describe_articles([doc])
        assert features[index] == alone_features[0]
        assert sorted(keys[owners == index].tolist()) == sorted(alone_keys.tolist())
    assert len(syn.feature_arrays(features[1]).shingles) == 0


def test_minhash_agreement_estimates_jaccard():
    base = " ".join(story(2, 20)).split()
    edited = base[: int(len(base) * 0.8)] + " ".join(story(3, 4)).split()
    a, b = syn.shingle_hashes(base), syn.shingle_hashes(edited)
    jaccard, _ = syn.similarity(a, b)
    agreement = float(np.mean(minhash(a) == minhash(b)))
    assert abs(agreement - jaccard) < 0.2
    # a band's key is shared exactly when all its rows agree
    rows_agree = (minhash(a) == minhash(b)).reshape(syn.BANDS, -1).all(axis=1)
    keys_agree = syn.band_keys(minhash(a)) == syn.band_keys(minhash(b))
    assert keys_agree.tolist() == rows_agree.tolist() and not keys_agree.all()
    assert len(set(syn.band_keys(minhash(a)).tolist())) == syn.BANDS


def test_bucket_pairs_weigh_bands_and_fingerprints_and_pair_neighbours_in_crowded_buckets():
    band, fingerprint = np.uint64(7), np.uint64(2**63 + 5)
    other_fingerprint = np.uint64(2**63 + 6)
    crowded = np.uint64(2**63 + 9)
    members = syn.MAX_FINGERPRINT_GROUP + 2
    keys = np.array([band, band, fingerprint, fingerprint, other_fingerprint, other_fingerprint, band]
                    + [crowded] * members, dtype=np.uint64)
    numbers = np.array([3, 1, 1, 2, 2, 1, 3] + list(range(100, 100 + members)), dtype=np.uint64)
    # the crowded bucket in date order: 100 (day 0), 101, ... (day 1)
    days = np.array([0] * 7 + [0] + [1] * (members - 1), dtype=np.int64)
    firsts, seconds, weights = syn.summed_pairs(*syn.bucket_pairs(keys, numbers, days))
    pairs = list(zip(firsts.tolist(), seconds.tolist(), weights.tolist()))
    # (1, 3) share a band (the duplicate (band, 3) counts once); (1, 2) two fingerprints
    assert pairs[:2] == [(1, 2, 2), (1, 3, 2)]
    # each article of the crowded bucket pairs with the 50 before it: all but the first with the last
    crowded_pairs = {(first, second) for first, second, weight in pairs[2:] if weight == 1}
    assert len(crowded_pairs) == len(pairs) - 2 == members * (members - 1) // 2 - 1
    assert (100, 100 + members - 1) not in crowded_pairs and (100, 100 + members - 2) in crowded_pairs


def test_bucket_pairs_keep_to_the_window():
    keys = np.full(3, 7, dtype=np.uint64)
    numbers = np.array([1, 2, 3], dtype=np.uint64)
    days = np.array([0, 30, 31], dtype=np.int64)
    for window, expected in ((30, [(1, 2), (2, 3)]), (0, [(1, 2), (1, 3), (2, 3)])):
        firsts, seconds, _ = syn.bucket_pairs(keys, numbers, days, window)
        assert sorted(zip(firsts.tolist(), seconds.tolist())) == expected


def test_bucket_pairs_never_pair_two_stored_articles():
    stored = history.STORED
    keys = np.full(3, 7, dtype=np.uint64)
    numbers = np.array([1 | stored, 2 | stored, 3], dtype=np.uint64)
    firsts, seconds, _ = syn.bucket_pairs(keys, numbers, np.zeros(3, dtype=np.int64))
    assert sorted(zip(firsts.tolist(), seconds.tolist())) == [(1, 3), (2, 3)]


def test_candidate_pairs_sum_weights_across_shards():
    def packed(*rows):
        columns = list(zip(*rows))
        return (np.array(columns[0], dtype=np.uint64).tobytes(), np.array(columns[1], dtype=np.uint64).tobytes(),
                np.array(columns[2], dtype=np.uint32).tobytes())
    element = (0, [packed((1, 2, 1), (1, 3, 1)), packed((1, 2, 1), (4, 5, 2))])
    firsts, seconds, distinct_seconds = (np.frombuffer(b, dtype=np.uint64).tolist()
                                         for b in syn.candidate_pairs(element))
    # pair (1, 3) has weight 1 only
    assert list(zip(firsts, seconds)) == [(1, 2), (4, 5)] and distinct_seconds == [2, 5]


def test_similarity_is_exact():
    a = np.array([1, 2, 3, 4], dtype=np.uint64)
    b = np.array([3, 4, 5, 6, 7, 8], dtype=np.uint64)
    assert syn.similarity(a, b) == (2 / 8, 2 / 4)
    assert syn.similarity(a, a[:2]) == (0.5, 1.0)
    assert syn.similarity(a, np.zeros(0, dtype=np.uint64)) == (0.0, 0.0)


def edge(a, b, jaccard=0.9, containment=0.95, dates=None):
    dates = dates or {}
    return {"a": (a, dates.get(a), None, "s"), "b": (b, dates.get(b), None, "s"), "jaccard": jaccard,
            "containment": containment}


def test_clusters_pick_the_earliest_copy_and_break_ties_by_id():
    dates = {"x": D(2024, 6, 20), "y": D(2024, 6, 19), "z": D(2024, 6, 19), "w": None}
    result = syn.clusters([edge("x", "y", dates=dates), edge("y", "z", 0.85, 0.9, dates),
                           edge("z", "w", 0.99, 1.0, dates)])
    assert {k: v["cluster_id"] for k, v in result.items()} == {"x": "y", "y": "y", "z": "y", "w": "y"}
    assert result["y"]["is_canonical"] and result["y"]["duplicate_of"] is None
    assert result["y"]["similarity_jaccard"] is None
    assert result["z"] == {"date": D(2024, 6, 19), "source": "s", "cluster_id": "y", "cluster_size": 4, "is_canonical": False, "duplicate_of": "y",
                           "similarity_jaccard": 0.85, "similarity_containment": 0.9}
    # w is linked to the canonical only through z: its closest verified copy
    assert (result["w"]["similarity_jaccard"], result["w"]["similarity_containment"]) == (0.99, 1.0)


def test_two_separate_clusters():
    result = syn.clusters([edge("a", "b"), edge("c", "d")])
    assert {v["cluster_id"] for v in result.values()} == {"a", "c"}
    assert all(v["cluster_size"] == 2 for v in result.values())


def test_shared_paragraphs_need_most_of_the_paragraph():
    wire = story(4, 1)[0]
    mine = article_features(article("m", story(5, 3) + [wire]))
    other = article_features(article("o", [wire.replace("إلى", "الى")] + story(6, 3), source="t"))
    unrelated = article_features(article("u", story(7, 4), source="t"))
    found, not_found = syn.verify_pairs([(mine, other), (mine, unrelated)])
    assert (found["a_paragraphs"], found["b_paragraphs"]) == ([3], [0])
    assert (not_found["a_paragraphs"], not_found["b_paragraphs"]) == ([], [])


def test_pairs_are_verified_together_as_one_by_one():
    articles = [article(f"v{i}", story(10 + i % 3, 6) + story(20 + i, 1), source=f"s{i % 2}") for i in range(6)]
    features = [article_features(a) for a in articles]
    pairs = [(features[i], features[j]) for i in range(6) for j in range(i + 1, 6)]
    together = syn.verify_pairs(pairs)
    assert together == [syn.verify_pairs([pair])[0] for pair in pairs]
    assert {(v["a"][0], v["b"][0]) for v in together if v["jaccard"] > 0.5} == {
        ("v0", "v3"), ("v1", "v4"), ("v2", "v5")}
    assert syn.verify_pairs([]) == []


def with_updates(outputs):
    """The articles as the writer publishes them: updates laid over."""
    batches, updates, _ = outputs
    return batches | "LayUpdates" >> beam.FlatMap(
        lambda batch, all_updates: laid_over(pa.Table.from_pylist(batch, schema=schemas.ARTICLES),
                                             all_updates).to_pylist(),
        beam.pvalue.AsList(updates)
    )


def summary(a):
    return (a["article_id"], a["cluster_id"], a["cluster_size"], a["is_canonical"], a["duplicate_of"],
            a["wire_paragraph_count"], tuple(a["wire_article_ids"]))


def test_detect_syndication_finds_exact_near_and_truncated_copies_and_wire_paragraphs():
    original = story(10, 10)
    near = ["مقدمة جديدة كتبها المحرر للموقع"] + [p.replace("أ", "ا").replace("ى", "ي") for p in original[1:]]
    truncated = original[:4]
    wire = story(11, 1)[0]
    docs = [
        article("orig", original, "agency", D(2024, 6, 18)),
        article("exact", original, "outlet1", D(2024, 6, 19)),
        article("near", near, "outlet2", D(2024, 6, 19)),
        article("trunc", truncated, "outlet3", D(2024, 6, 20)),
        article("own1", story(12, 5) + [wire], "outlet4"),
        article("own2", [wire] + story(13, 6), "outlet5"),
        article("same1", story(14, 5) + [wire], "outlet6"),
        article("same2", story(15, 5) + [wire], "outlet6"),
        article("alone", story(16, 6), "outlet7"),
    ]
    wire_ids = ("own1", "own2", "same1", "same2")
    # copies from other sources share their paragraphs as wire copy too
    expected = [
        ("orig", "orig", 4, True, None, 10, ("exact", "near", "trunc")),
        ("exact", "orig", 4, False, "orig", 10, ("near", "orig", "trunc")),
        ("near", "orig", 4, False, "orig", 9, ("exact", "orig", "trunc")),
        ("trunc", "orig", 4, False, "orig", 4, ("exact", "near", "orig")),
        ("alone", "alone", 1, True, None, 0, ()),
    ] + [
        # a wire paragraph counts when it stands in another source's article only
        (i, i, 1, True, None, 1, tuple(sorted(set(wire_ids) - {i} - ({"same1", "same2"} if i.startswith("same") else set()))))
        for i in wire_ids
    ]
    with TestPipeline() as p:
        result = with_updates(p | beam.Create([docs]) | syn.DetectSyndication())
        assert_that(result | beam.Map(summary), equal_to(expected))


def test_copies_below_the_thresholds_are_not_clustered():
    base = story(20, 10)
    half_rewritten = base[:5] + story(21, 5)
    docs = [article("a", base, "s1"), article("b", half_rewritten, "s2")]
    with TestPipeline() as p:
        result = with_updates(p | beam.Create([docs]) | syn.DetectSyndication())
        assert_that(result | beam.Map(lambda a: (a["article_id"], a["cluster_size"], a["wire_paragraph_count"])),
                    equal_to([("a", 1, 5), ("b", 1, 5)]))


@pytest.mark.parametrize("jaccard, containment, expected", [(0.8, 0.9, False), (0.3, 0.9, True), (0.8, 0.4, True)])
def test_is_copy_thresholds(jaccard, containment, expected):
    verified = {"jaccard": 0.5, "containment": 0.6}
    assert syn.is_copy(verified, jaccard, containment) is expected


def test_a_batch_is_described_once_in_the_worker_and_leaves_it_spilled():
    docs = [article(f"d{i}", story(40 + i, 3)) for i in range(4)]
    spilled, *tagged = syn.description_of(docs, syn.DEFAULT_WIRE_MIN_WORDS, syn.DEFAULT_MIN_WORDS, 8)
    numbers, features, keys, owners = syn.numbered_description(docs, syn.DEFAULT_WIRE_MIN_WORDS)
    back = spilled.value()
    assert np.array_equal(back.numbers, numbers) and back.features == features
    assert np.array_equal(back.bucket_keys, keys) and np.array_equal(back.owners, owners)
    by_tag = {tag: [output.value for output in tagged if output.tag == tag] for tag in (syn.BUCKET_KEYS, syn.SIGNATURES)}
    assert len(by_tag[syn.BUCKET_KEYS]) + len(by_tag[syn.SIGNATURES]) == len(tagged)
    assert [shard for shard, _ in by_tag[syn.BUCKET_KEYS]] == [shard for shard, _ in syn.shard_bucket_keys(back, 8)]
    assert [key for key, _ in by_tag[syn.SIGNATURES]] == [key for key, _ in syn.signature_parts(back)]


def test_features_go_to_each_pair_under_its_second_article():
    docs = [article(f"j{i}", story(30 + i, 3)) for i in range(5)]
    numbers, features, _, _ = syn.numbered_description(docs, syn.DEFAULT_WIRE_MIN_WORDS)
    n = [int(number) for number in numbers]

    def shard(*pairs):
        pairs = sorted(pairs)
        firsts = np.array([a for a, _ in pairs], dtype=np.uint64)
        seconds = np.array([b for _, b in pairs], dtype=np.uint64)
        return firsts.tobytes(), seconds.tobytes(), np.unique(seconds).tobytes()

    # j0 pairs with j1 and j2 (one shard), j3 with j1 (another); j4 is in no pair
    candidates = [shard((n[0], n[1]), (n[0], n[2])), shard((n[3], n[1]))]
    sent = sorted((key, tag, value[0][0]) for key, (tag, value) in syn.features_to_pairs(
        (numbers, features, None, None), candidates))
    assert sent == sorted([
        (n[1], syn._OTHER, "j0"), (n[2], syn._OTHER, "j0"), (n[1], syn._OTHER, "j3"),
        (n[1], syn._FEATURES, "j1"), (n[2], syn._FEATURES, "j2"),
    ])


def test_no_articles_give_no_updates():
    with TestPipeline() as p:
        articles, updates, _ = p | beam.Create([]) | syn.DetectSyndication()
        assert_that(articles, equal_to([]), label="articles")
        assert_that(updates, equal_to([]), label="updates")


def test_a_pair_without_its_second_articles_features_fails_clearly():
    docs = [article(f"m{i}", story(40 + i, 3)) for i in range(2)]
    _, features, _, _ = syn.numbered_description(docs, syn.DEFAULT_WIRE_MIN_WORDS)
    sent = [(node, reference) for (node, _), reference in zip(features, stored_each([f[1] for f in features]))]
    groups = [(7, [(syn._FEATURES, sent[1]), (syn._OTHER, sent[0])]), (8, [(syn._OTHER, sent[0])])]
    with pytest.raises(syn.MissingFeatures, match="article number 8 never reached its 1 candidate pair"):
        syn._verify_joined(groups, syn.DEFAULT_WIRE_CONTAINMENT, 20)
    [verified] = syn._verify_joined(groups[:1], syn.DEFAULT_WIRE_CONTAINMENT, 20)
    assert len(verified) == 1


def pairs_of(*rows):
    """Pair rows ``(a_id, a_day, a_source, b_id, b_day, b_source, jaccard, a_paragraphs, b_paragraphs)``."""
    columns = {name: [] for name in schemas.PAIRS.names}
    for a_id, a_day, a_source, b_id, b_day, b_source, jaccard, a_paragraphs, b_paragraphs in rows:
        for side, (article_id, day, source) in (("a", (a_id, a_day, a_source)), ("b", (b_id, b_day, b_source))):
            columns[f"{side}_id"].append(article_id)
            columns[f"{side}_date"].append(f"2024-06-{day:02d}")
            columns[f"{side}_published_at"].append(None)
            columns[f"{side}_source"].append(source)
        columns["jaccard"].append(jaccard)
        columns["containment"].append(jaccard)
        columns["a_paragraphs"].append(a_paragraphs)
        columns["b_paragraphs"].append(b_paragraphs)
        columns["passages"].append([])
    return pa.table(columns, schema=schemas.PAIRS)


def test_relations_rebuild_the_clusters_and_wire_links_of_earlier_articles():
    stored = pairs_of(("x", 10, "s1", "y", 10, "s2", 0.95, [0], [1]),  # a copy, from an earlier run
                      ("y", 10, "s2", "z", 11, "s1", 0.9, [], []))  # z's partition is rerun now: gone
    found = pairs_of(("w", 11, "s3", "x", 10, "s1", 0.3, [2], [3]))  # new wire link of earlier article x
    owned = {("2024-06-11", "s1"), ("2024-06-11", "s3")}
    updates, by_partition = syn.relations(found, stored, owned, 0.8, 0.9)
    updates = {update["article_id"]: update for update in updates}
    # x and y stay one cluster (x canonical by id); y lost z; x gains w's link; z is this run's: no update
    assert updates["x"]["cluster_size"] == 2 and updates["y"]["duplicate_of"] == "x"
    assert (updates["x"]["wire_paragraph_count"], updates["x"]["wire_article_ids"]) == (2, ["w", "y"])
    assert (updates["y"]["wire_paragraph_count"], updates["y"]["wire_article_ids"]) == (1, ["x"])
    assert "z" not in updates and "w" not in updates
    ids = {key: sorted(zip(table["a_id"].to_pylist(), table["b_id"].to_pylist()))
           for key, table in by_partition.items()}
    assert ids == {("2024-06-10", "s1"): [("w", "x"), ("x", "y")], ("2024-06-10", "s2"): [("x", "y")],
                   ("2024-06-11", "s1"): [], ("2024-06-11", "s3"): [("w", "x")]}


def test_relations_without_history_cluster_every_copy():
    found = pairs_of(("a", 1, "s1", "b", 2, "s2", 0.9, [], []), ("b", 2, "s2", "c", 3, "s2", 0.85, [], []),
                     ("d", 1, "s1", "e", 1, "s1", 0.5, [], []))
    owned = {("2024-06-01", "s1"), ("2024-06-02", "s2"), ("2024-06-03", "s2")}
    updates, by_partition = syn.relations(found, schemas.PAIRS.empty_table(), owned, 0.8, 0.9)
    assert sorted((u["article_id"], u["cluster_id"], u["cluster_size"]) for u in updates) == [
        ("a", "a", 3), ("b", "a", 3), ("c", "a", 3)]
    assert {key: table.num_rows for key, table in by_partition.items()} == {
        ("2024-06-01", "s1"): 2, ("2024-06-02", "s2"): 2, ("2024-06-03", "s2"): 1}


def test_a_run_reads_the_stored_pairs_its_changes_reach_each_once(tmp_path):
    stored = pairs_of(("x", 1, "s1", "y", 5, "s1", 0.95, [], []),  # a copy: y's cluster reaches x's partition
                      ("y", 5, "s1", "z", 9, "s1", 0.3, [0], [0]),  # wire only: leads nowhere, unless z is rerun
                      ("p", 5, "s1", "q", 2, "s3", 0.95, [], []),  # in y's partition, but p does not change...
                      ("q", 2, "s3", "r", 3, "s3", 0.95, [], []),  # ...so q's partition is never read
                      ("u", 20, "s1", "v", 20, "s2", 0.99, [], []))  # far away: never read
    labels = zip(*(history.partition_labels(stored, f"{side}_").to_pylist() for side in "ab"))
    for row, ends in enumerate(labels):
        for key in {history.key_of_label(label) for label in ends}:
            path = tmp_path / partition_path("pairs", key) / PART_NAME
            path.parent.mkdir(parents=True, exist_ok=True)
            written = stored.slice(row, 1).drop_columns(["passages"])  # as histories written before passages
            pq.write_table(pa.concat_tables([pq.read_table(path), written]) if path.exists() else written, path)

    def read(found, owned):
        pairs = history.stored_pairs(str(tmp_path), found, owned, lambda p: syn.copy_mask(p, 0.8, 0.9))
        assert pairs["passages"].to_pylist() == [[]] * pairs.num_rows
        return sorted(zip(pairs["a_id"].to_pylist(), pairs["b_id"].to_pylist()))

    new_copy_of_y = pairs_of(("n", 6, "s2", "y", 5, "s1", 0.9, [], []))
    assert read(new_copy_of_y, {("2024-06-06", "s2")}) == [("p", "q"), ("x", "y"), ("y", "z")]
    assert read(pairs_of(), {("2024-06-09", "s1")}) == [("p", "q"), ("x", "y"), ("y", "z")]  # z rerun: y-z gone
    assert read(pairs_of(("n", 30, "s2", "m", 30, "s1", 0.9, [], [])), {("2024-06-30", "s2")}) == []
