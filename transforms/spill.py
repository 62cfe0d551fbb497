"""Large values that wait at a barrier, kept on local disk instead of in the
runner's memory.

The local DirectRunner holds every PCollection that crosses a barrier (a
side input that is not ready yet, a GroupByKey) in its own memory. Batches
of articles, their syndication features and the Arrow tables for the
writer are most of a run's data, so there they are written to files under
the folder named by ``$AKHBAR_SPILL_DIR`` and only the file's name crosses
the runner. The launcher sets that folder for local runs and removes it at
the end; unset (a cluster runner, whose shuffle holds data itself, or a
test), values travel inline.
"""

import os
import pickle
import threading
import uuid
from typing import NamedTuple

import apache_beam as beam
import zstandard

SPILL_DIR = "AKHBAR_SPILL_DIR"
MIN_SPILL_BYTES = 64 * 1024  # smaller values are not worth a file
_INLINE, _FILE, _SLICE = b"\0", b"\1", b"\2"
_PER_THREAD = threading.local()  # a zstd context must not be used by two threads at once


def _compressor():
    """This thread's compressor: runners such as Prism, Dataflow and Flink
    encode several bundles at once in threads of one process, and a shared
    one corrupted values and crashed the process."""
    if not hasattr(_PER_THREAD, "compressor"):
        _PER_THREAD.compressor = zstandard.ZstdCompressor(level=1)
    return _PER_THREAD.compressor


def stored(payload):
    """``payload`` (bytes) as it crosses the runner: inline, or the name of
    the file it was written to."""
    folder = os.environ.get(SPILL_DIR)
    if not folder or len(payload) < MIN_SPILL_BYTES:
        return _INLINE + payload
    path = os.path.join(folder, uuid.uuid4().hex)
    with open(path, "wb") as handle:
        handle.write(payload)
    return _FILE + path.encode()


def stored_each(payloads):
    """Many small values (a list of bytes) as they cross the runner: inline,
    or each as its slice of one file written for them all."""
    folder = os.environ.get(SPILL_DIR)
    if not folder or sum(len(payload) for payload in payloads) < MIN_SPILL_BYTES:
        return [_INLINE + payload for payload in payloads]
    path = os.path.join(folder, uuid.uuid4().hex)
    references, offset = [], 0
    with open(path, "wb") as handle:
        for payload in payloads:
            handle.write(payload)
            references.append(_SLICE + f"{offset}:{len(payload)}:{path}".encode())
            offset += len(payload)
    return references


def loaded(value):
    """The bytes ``stored`` or ``stored_each`` was given."""
    if value[:1] == _INLINE:
        return memoryview(value)[1:]
    if value[:1] == _SLICE:
        offset, length, path = value[1:].decode().split(":", 2)
        with open(path, "rb") as handle:
            handle.seek(int(offset))
            return handle.read(int(length))
    with open(value[1:].decode(), "rb") as handle:
        return handle.read()


class SpillingCoder(beam.coders.Coder):
    """Pickles a value once, compresses it (zstd level 1: Arabic text to
    about a quarter) and ``stored`` it. Its size, which the runner samples
    for its metrics, is estimated from what crosses the runner."""

    def encode(self, value):
        return stored(_compressor().compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)))

    def decode(self, encoded):
        return pickle.loads(zstandard.ZstdDecompressor().decompress(loaded(encoded)))

    def is_deterministic(self):
        return False

    def estimate_size(self, value):
        return 64


class Spilled(NamedTuple):
    """A value encoded by ``SpillingCoder`` where it was made (a pool
    worker), so that the runner's process only carries its reference and
    never pickles, compresses or writes the value itself."""

    encoded: bytes

    @classmethod
    def of(cls, value):
        return cls(SpillingCoder().encode(value))

    def value(self):
        return SpillingCoder().decode(self.encoded)


class SpilledCoder(beam.coders.Coder):
    """A ``Spilled`` crosses the runner as its encoded bytes, untouched."""

    def encode(self, spilled):
        return spilled.encoded

    def decode(self, encoded):
        return Spilled(encoded)

    def is_deterministic(self):
        return False

    def estimate_size(self, spilled):
        return len(spilled.encoded)


beam.coders.registry.register_coder(Spilled, SpilledCoder)
