"""The copy detectors akhbar is compared with, run in their own virtualenv
(``benchmarks/requirements-dedup.txt``) by ``benchmarks.dedup_compare``.

``python dedup_others.py SYSTEM DOCS_FOLDER WORKDIR WORKERS`` reads
``docs-*.jsonl`` (``{"id", "text"}`` per line) and prints one JSON object:
``{"seconds": ..., "clusters": [[doc_id, ...], ...]}`` (clusters of two or
more documents). It imports nothing from akhbar.
"""

import glob
import json
import os
import struct
import sys
import time

SHINGLE_WORDS = 3
PERMUTATIONS = 64
BANDS = 16
THRESHOLD = 0.8


def _documents(folder):
    for path in sorted(glob.glob(os.path.join(folder, "docs-*.jsonl"))):
        with open(path, encoding="utf-8") as handle:
            yield path, [json.loads(line) for line in handle]


def _union_find_clusters(pairs):
    parent = {}

    def find(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    clusters = {}
    for node in parent:
        clusters.setdefault(find(node), []).append(node)
    return [members for members in clusters.values() if len(members) > 1]


def datatrove_clusters(folder, workdir, workers, matched):
    """datatrove's four MinHash stages as its README runs them (signatures,
    buckets, clusters; the filter only drops documents, so the clusters
    are read from the cluster stage's ``.clusters`` files). ``matched``:
    word 3-grams and 16 bands of 4 hashes as akhbar; else datatrove's
    defaults (5-grams, 14 x 8)."""
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.utils.word_tokenizers import WhitespaceTokenizer

    config = MinhashConfig(n_grams=SHINGLE_WORDS, num_buckets=BANDS, hashes_per_bucket=PERMUTATIONS // BANDS) \
        if matched else MinhashConfig()
    files = [[doc["id"] for doc in docs] for _, docs in _documents(folder)]
    signatures, buckets, clusters = (os.path.join(workdir, name) for name in ("signatures", "buckets", "clusters"))
    logs = os.path.join(workdir, "logs")
    LocalPipelineExecutor(
        [JsonlReader(folder, glob_pattern="docs-*.jsonl"),
         MinhashDedupSignature(output_folder=signatures, config=config, language=WhitespaceTokenizer())],
        tasks=len(files), workers=workers, logging_dir=f"{logs}/signatures").run()
    LocalPipelineExecutor(
        [MinhashDedupBuckets(input_folder=signatures, output_folder=buckets, config=config)],
        tasks=config.num_buckets, workers=workers, logging_dir=f"{logs}/buckets").run()
    LocalPipelineExecutor(
        [MinhashDedupCluster(input_folder=buckets, output_folder=clusters, config=config, save_cluster_id=True)],
        tasks=1, logging_dir=f"{logs}/clusters").run()
    members = {}
    for rank, ids in enumerate(files):
        path = os.path.join(clusters, f"{rank:06d}.clusters")
        if os.path.exists(path):
            with open(path, "rb") as handle:
                data = handle.read()
            for doc, cluster in struct.iter_unpack("<2I", data):
                members.setdefault(cluster, []).append(ids[doc])
    return [group for group in members.values() if len(group) > 1]


def datasketch_clusters(num_perm):
    """The usual hand-rolled script: a MinHash of each document's word
    3-shingles, queried against and then inserted into a MinHashLSH at
    Jaccard 0.8; candidates joined into clusters, not verified."""
    from datasketch import MinHash, MinHashLSH

    def run(folder):
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=num_perm)
        pairs = []
        for _, docs in _documents(folder):
            for doc in docs:
                words = doc["text"].lower().split()
                shingles = {" ".join(words[i:i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
                signature = MinHash(num_perm=num_perm)
                signature.update_batch([shingle.encode("utf-8") for shingle in shingles])
                pairs.extend((doc["id"], other) for other in lsh.query(signature))
                lsh.insert(doc["id"], signature)
        return _union_find_clusters(pairs)

    return run


def main():
    system, folder, workdir, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    started = time.perf_counter()
    if system.startswith("datatrove"):
        clusters = datatrove_clusters(folder, workdir, workers, matched=system.endswith("matched"))
    else:
        clusters = datasketch_clusters(PERMUTATIONS if system.endswith("matched") else 128)(folder)
    print(json.dumps({"seconds": time.perf_counter() - started, "clusters": clusters}))


if __name__ == "__main__":
    main()
