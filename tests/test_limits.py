"""Oversized input is rejected without being held whole: a compressed file
that inflates to 512 MiB and a JSONL line of 512 MiB are read with limits of
a few MiB, in a process whose peak memory the test measures."""

import gzip
import json
import subprocess
import sys

INFLATED_BYTES = 512 * 2**20
LIMIT_BYTES = 4 * 2**20
# what the reader may add to the interpreter's own peak: far below the input
ALLOWED_GROWTH_BYTES = 128 * 2**20

READ_IN_A_CHILD = """
import json, re, sys
from transforms.read import ReadFileFn

def peak_bytes():  # this process's own high-water mark (ru_maxrss keeps the forking parent's)
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) * 1024

reader = ReadFileFn(max_file_bytes={limit}, max_record_bytes={limit})
before = peak_bytes()
outcomes = []
for url in sys.argv[1:]:
    for output in reader._records_or_rejects((url, 0)):
        outcomes.append(output.value["reason"] if hasattr(output, "value") else "record")
after = peak_bytes()
print(json.dumps({{"outcomes": outcomes, "growth_bytes": after - before, "peak_bytes": after}}))
"""


def inflating_file(path, line_prefix=b"", line_suffix=b""):
    """A gzip file whose content is ``INFLATED_BYTES`` long, written a chunk at a time."""
    chunk = b"\xd8\xa7" * 2**19  # the letter alef, 1 MiB
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(line_prefix)
        for _ in range(INFLATED_BYTES // len(chunk)):
            handle.write(chunk)
        handle.write(line_suffix)
    return path


def test_oversized_files_and_records_are_rejected_in_bounded_memory(tmp_path):
    whole = inflating_file(tmp_path / "bomb.txt.gz")
    line = inflating_file(tmp_path / "long-line.jsonl.gz", b'{"text": "', b'"}\n' + json.dumps({"text": "نص"}).encode())
    assert whole.stat().st_size < LIMIT_BYTES  # small on disk: only inflating it costs memory
    done = subprocess.run([sys.executable, "-c", READ_IN_A_CHILD.format(limit=LIMIT_BYTES), str(whole), str(line)],
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    assert result["outcomes"] == ["file_too_large", "record_too_large", "record"]
    assert result["growth_bytes"] < ALLOWED_GROWTH_BYTES < INFLATED_BYTES
    assert result["peak_bytes"] < INFLATED_BYTES  # the whole process never held one input
