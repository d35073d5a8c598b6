"""A fault-injecting HTTP proxy in front of the moto server, for reliability tests.

It listens on 127.0.0.1 and forwards every request to moto unchanged, except where a rule of its
script (``script(...)``) matches: the Nth request of an operation (and the ``times`` - 1 after
it) gets an HTTP error with an AWS error body, a connection closed before any answer, or a
delay. Operations
are named as AWS does: ``UploadPart``, ``CompleteMultipartUpload``, ``CopyObject``,
``PutObject``, ``HeadObject``, ``Publish`` (SNS), ``ListObjectsV2``…
"""

from __future__ import annotations

import http.client
import http.server
import socket
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

ERROR_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
    "<Message>injected by the test proxy</Message></Error>"
)
JSON_ERROR_BODY = '{{"__type": "{code}", "message": "injected by the test proxy"}}'
"""The error shape of the JSON protocols (DynamoDB, EMR), whose requests carry X-Amz-Target."""


@dataclass
class Rule:
    operation: str
    action: str
    """``503``/``500``/any status (an AWS error), ``reset`` (close without answering) or
    ``delay`` (answer after ``seconds``)."""
    nth: int = 1
    """The first request of the operation the rule hits (1-based)."""
    times: int = 1
    """How many requests in a row it hits (0: every one from ``nth`` on)."""
    code: str = "SlowDown"
    seconds: float = 0.0


@dataclass
class FaultProxy:
    target: str
    rules: list[Rule] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    url: str = ""

    def script(self, *rules: Rule) -> None:
        """From now on, these rules; requests are counted afresh."""
        self.rules, self.seen, self.hits = list(rules), Counter(), Counter()

    def rule_for(self, operation: str) -> Rule | None:
        self.seen[operation] += 1
        count = self.seen[operation]
        for rule in self.rules:
            last = rule.nth + rule.times - 1 if rule.times else None
            if (
                rule.operation == operation
                and count >= rule.nth
                and (last is None or count <= last)
            ):
                self.hits[operation] += 1
                return rule
        return None


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    """The AWS operation a request is, from its method, query, headers and (query API) body."""
    if target := headers.get("x-amz-target"):
        return target.rsplit(".", 1)[-1]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query, keep_blank_values=True)
    if "x-id" in query:  # botocore names S3 operations in the query
        return query["x-id"][0]
    if method == "POST" and body.startswith(b"Action="):
        return urllib.parse.parse_qs(body.decode())["Action"][0]
    if "partNumber" in query and "uploadId" in query:
        return "UploadPart"
    if "uploadId" in query:
        return {"POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"}.get(
            method, "ListParts"
        )
    if "uploads" in query:
        return "ListMultipartUploads" if method == "GET" else "CreateMultipartUpload"
    if method == "PUT":
        return "CopyObject" if "x-amz-copy-source" in headers else "PutObject"
    if method == "GET" and query.get("list-type") == ["2"]:
        return "ListObjectsV2"
    return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method, method)


def _handler(proxy: FaultProxy) -> type[http.server.BaseHTTPRequestHandler]:
    target = urllib.parse.urlsplit(proxy.target)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            rule = proxy.rule_for(operation_of(self.command, self.path, headers, body))
            if rule is not None and rule.action == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
                self.close_connection = True
                self.connection.close()
                return
            if rule is not None and rule.action == "delay":
                time.sleep(rule.seconds)
            elif rule is not None:
                json_protocol = "x-amz-target" in headers
                template = JSON_ERROR_BODY if json_protocol else ERROR_BODY
                payload = template.format(code=rule.code).encode()
                self.send_response(int(rule.action))
                kind = "application/x-amz-json-1.0" if json_protocol else "application/xml"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            upstream.request(self.command, self.path, body=body or None, headers=dict(self.headers))
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            upstream.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    return Handler


@contextmanager
def fault_proxy(target: str) -> Iterator[FaultProxy]:
    """A running proxy to ``target`` (moto); set its ``rules`` to inject faults."""
    proxy = FaultProxy(target)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
