"""An HTTP proxy on loopback that injects transient faults between a Cloud
Storage client and the emulator, so tests can show the job retries and
still ends with whole, correct output. Standard library only."""

import collections
import hashlib
import http.client
import json
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

#: ``status_503``: an error answer; ``drop_before_forward``: the connection
#: closes before the request goes on; ``drop_after_forward``: it closes after
#: the server did the work, before the client hears of it.
FAULT_KINDS = ("status_503", "drop_before_forward", "drop_after_forward")
#: Headers about one hop, not the request: each hop sets its own.
_HOP_BY_HOP = {"connection", "content-length", "expect", "keep-alive", "proxy-connection", "te", "trailer",
               "transfer-encoding", "upgrade"}


def operation(method, target):
    """Which Cloud Storage JSON API operation a request is (by its method
    and URL): upload, download, metadata, list, copy, delete or other."""
    url = urlsplit(target)
    if url.path.startswith("/upload/"):
        return "upload"
    if "/rewriteTo/" in url.path or "/copyTo/" in url.path:
        return "copy"
    if method == "DELETE":
        return "delete"
    if url.path.startswith("/download/") or parse_qs(url.query).get("alt") == ["media"]:
        return "download"
    if url.path.endswith("/o"):
        return "list"
    if "/o/" in url.path:
        return "metadata"
    return "other"


class FaultSchedule:
    """Which requests fail, and how. For each operation in ``plan``
    (operation -> fault kinds, in order) its ``every``-th, 2·``every``-th ...
    request gets the next of its kinds until they are used up. A request
    the same as one already faulted (method, URL and body) is let through
    and the fault goes to the next new one: a client's retry never fails
    again, so each fault costs one back-off (gcsfs waits 1-2 s before a
    first retry, twice that before a second)."""

    def __init__(self, plan, every):
        self.every = every
        self._left = {name: list(kinds) for name, kinds in plan.items()}
        self._seen = collections.Counter()
        self._due = set()
        self._faulted = set()

    def fault_for(self, name, signature):
        """The fault kind for this request, or None to pass it on."""
        self._seen[name] += 1
        if self._left.get(name) and self._seen[name] % self.every == 0:
            self._due.add(name)
        if name in self._due and signature not in self._faulted:
            self._due.discard(name)
            self._faulted.add(signature)
            return self._left[name].pop(0)
        return None


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # clients open many connections at once; see conftest.gcs

    def handle_error(self, request, client_address):
        """A client that hung up is no error: gcsfs races an object's lookup
        against a listing and drops the one that loses."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """One client connection, kept alive across requests (HTTP/1.1) as
    aiohttp expects; each request is read whole, then answered, dropped, or
    relayed upstream on a connection of its own (the emulator speaks
    HTTP/1.0: it closes each connection after one answer)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else a body sent after its headers waits for a delayed ACK (40 ms)

    def _relay(self):
        proxy = self.server.proxy
        body = self._request_body()
        fault = proxy.fault_for(self.command, self.path, body)
        if fault == "status_503":
            error = {"error": {"code": 503, "message": "fault injected by the test proxy"}}
            self._answer(503, [("Content-Type", "application/json")], json.dumps(error).encode())
            return
        if fault == "drop_before_forward":
            self.close_connection = True
            return
        status, headers, payload = proxy.forward(self.command, self.path, self.headers, body)
        if fault == "drop_after_forward":
            self.close_connection = True
            return
        self._answer(status, headers, payload)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _relay

    def _request_body(self):
        """The request's body, de-chunked; None when it has none."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        return self.rfile.read(int(length)) if length else None

    def _answer(self, status, headers, payload):
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        if self.command != "HEAD" and status not in (204, 304):
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format, *args):
        pass


class FaultProxy:
    """``with FaultProxy(upstream_url, schedule) as proxy:`` relays HTTP
    requests from ``proxy.url`` to ``upstream_url``, failing those the
    ``FaultSchedule`` picks. ``requests`` counts requests per operation;
    ``injected`` lists each fault as ``(operation, kind, method, url)``."""

    def __init__(self, upstream_url, schedule):
        upstream = urlsplit(upstream_url)
        self.upstream = (upstream.hostname, upstream.port)
        self.schedule = schedule
        self.requests = collections.Counter()
        self.injected = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self):
        host, port = self._server.server_address
        return f"http://{host}:{port}"

    def fault_for(self, method, target, body):
        """Count the request; the schedule's fault for it, or None."""
        name = operation(method, target)
        with self._lock:
            self.requests[name] += 1
            fault = self.schedule.fault_for(name, (method, target, hashlib.sha256(body or b"").digest()))
            if fault:
                self.injected.append((name, fault, method, target))
        return fault

    @property
    def faults(self):
        """How many faults were injected, per ``(operation, kind)``."""
        return collections.Counter((name, kind) for name, kind, _, _ in self.injected)

    def forward(self, method, target, headers, body):
        """Relay one request upstream: ``(status, headers, whole body)``."""
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            connection.request(method, target, body=body, headers={
                name: value for name, value in headers.items() if name.lower() not in _HOP_BY_HOP})
            response = connection.getresponse()
            payload = response.read()
            kept = [(name, value) for name, value in response.getheaders()
                    if name.lower() not in _HOP_BY_HOP or (method == "HEAD" and name.lower() == "content-length")]
            return response.status, kept, payload
        finally:
            connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        return False
