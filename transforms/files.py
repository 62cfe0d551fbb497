"""File-system access through fsspec, so local folders, ``gs://`` buckets and
any other fsspec URL are handled by the same code."""

import datetime as dt
import json
import posixpath

import fsspec
from fsspec.core import split_protocol
from fsspec.registry import get_filesystem_class

COMPRESSION_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd", ".xz": "xz"}
MANIFEST_NAMES = ("manifest.jsonl", "manifest.csv")
_GLOB_CHARS = "*?["


def filesystem(url):
    """``(fs, path)`` for any fsspec URL or local path. A name is taken as
    it is: ``a::b.txt`` is one file, not fsspec's chain of two URLs."""
    protocol = split_protocol(url)[0] or "file"
    fs = fsspec.filesystem(protocol, **get_filesystem_class(protocol)._get_kwargs_from_urls(url))
    return fs, fs._strip_protocol(url)


def full_url(fs, path):
    """The user-facing name of a path: plain for local files, with its
    protocol (``gs://...``) otherwise."""
    if _is_local(fs):
        return path
    return fs.unstrip_protocol(path)


def _is_local(fs):
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def dated_inputs(inputs, start, end):
    """The inputs with ``{date}`` (or ``{date:%Y/%m/%d}``, any strftime
    format) written out for each day from ``start`` to ``end``
    (``datetime.date``), so that a run over a date range lists only its
    days' files; inputs without it as they are."""
    expanded = []
    for pattern in inputs:
        if "{date" not in pattern:
            expanded.append(pattern)
            continue
        if start is None or end is None:
            raise ValueError(f"{pattern} names {{date}}: give --start_date and --end_date")
        days = (start + dt.timedelta(days=offset) for offset in range((end - start).days + 1))
        expanded.extend(dict.fromkeys(pattern.format(date=day) for day in days))
    return expanded


def list_input_files(pattern):
    """Every file a user's ``--input`` names: a file, a folder (recursively)
    or a glob. Returns ``[(url, size_bytes)]`` sorted by url; ``[]`` when
    nothing matches."""
    fs, path = filesystem(pattern)
    if any(ch in path for ch in _GLOB_CHARS):
        found = fs.glob(path, detail=True)
        files = {}
        for name, info in found.items():
            if info.get("type") == "directory":
                files.update(fs.find(name, detail=True))
            else:
                files[name] = info
    elif fs.isdir(path):
        files = fs.find(path, detail=True)
    elif fs.exists(path):
        files = {path: fs.info(path)}
    else:
        files = {}
    return sorted(
        (full_url(fs, name), int(info.get("size") or 0))
        for name, info in files.items()
        if info.get("type") != "directory"
    )


def folder_manifest(pattern):
    """The ``manifest.jsonl`` / ``manifest.csv`` inside an input folder, if any."""
    fs, path = filesystem(pattern)
    if any(ch in path for ch in _GLOB_CHARS) or not fs.isdir(path):
        return None
    for name in MANIFEST_NAMES:
        candidate = posixpath.join(path.rstrip("/"), name)
        if fs.exists(candidate):
            return full_url(fs, candidate)
    return None


def manifests_for(inputs, explicit=None):
    """``(manifests_to_use, manifest_files_that_are_not_articles)``.

    ``--manifest`` wins; otherwise each input folder's own ``manifest.jsonl``
    or ``manifest.csv`` is used. Either way no manifest is read as an article.
    """
    in_folders = [m for m in map(folder_manifest, inputs) if m]
    if explicit:
        explicit_url = full_url(*filesystem(explicit))
        return [explicit_url], sorted(set(in_folders) | {explicit_url})
    return sorted(set(in_folders)), sorted(set(in_folders))


def split_compression(url):
    """``(name_without_compression_suffix, fsspec_compression_or_None)``."""
    base, ext = posixpath.splitext(url)
    compression = COMPRESSION_SUFFIXES.get(ext.lower())
    return (base, compression) if compression else (url, None)


def open_input(url):
    """A binary file object, transparently decompressed. The name is taken
    as it is: a file called ``a[1].json`` is no glob."""
    _, compression = split_compression(url)
    fs, path = filesystem(url)
    return fsspec.core.OpenFile(fs, path, "rb", compression=compression)


def parent_url(url):
    """The folder that holds ``url``."""
    fs, path = filesystem(url)
    return full_url(fs, posixpath.dirname(path))


def write_whole(url, data):
    """Write ``data`` (bytes) so that no reader sees part of it: on a local
    disk to a side file renamed over the target; an object store shows an
    object only once it is whole."""
    fs, path = filesystem(url)
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    if not _is_local(fs):
        fs.pipe_file(path, data)
        return
    partial = path + ".partial"
    fs.pipe_file(partial, data)
    fs.mv(partial, path)


def replace_file(fs, source, target):
    """Put the file ``source`` in place of ``target`` (both paths of ``fs``)
    in one step a reader cannot see halfway: a rename on a local disk, a
    server-side copy on an object store (which has no rename; the caller
    deletes ``source`` later)."""
    fs.makedirs(posixpath.dirname(target), exist_ok=True)
    if _is_local(fs):
        fs.mv(source, target)
    else:
        fs.copy(source, target)


def remove_file(fs, path):
    """Delete the file ``path`` of ``fs``; one already gone counts as done.
    A client retries a delete whose answer was lost (the connection dropped
    after the server deleted it): the retry finds nothing and gcsfs raises
    FileNotFoundError, though the file is gone as asked."""
    try:
        fs.rm(path)
    except FileNotFoundError:
        pass


def join_url(base, *parts):
    """``base/part/...`` for local paths and URLs alike."""
    return posixpath.join(base.rstrip("/"), *parts)


def load_extended_json(shipped_path, extra_url=None):
    """A data file shipped with akhbar, extended by a user's file with the
    same keys (local or any fsspec URL): lists are added to the shipped
    ones, other values replace them."""
    spec = json.loads(shipped_path.read_text(encoding="utf-8"))
    if extra_url:
        with fsspec.open(extra_url, "r", encoding="utf-8") as handle:
            extra = json.load(handle)
        for key, value in extra.items():
            spec[key] = spec.get(key, []) + value if isinstance(value, list) else value
    return spec
