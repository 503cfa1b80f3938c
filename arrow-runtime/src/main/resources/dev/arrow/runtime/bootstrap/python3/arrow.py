"""Arrow's client for handlers: the node's key-value stores, queues and buckets, from inside a sandbox.

Standard library only. It speaks the node's /v1 API over the Unix socket in $ARROW_API_SOCKET with
the sandbox's token in $ARROW_TOKEN; an arrow reaches only what its manifest binds. See the
runtime README ("Services from a handler").

    import arrow
    carts = arrow.kv("carts")
    carts.put("k", "v")
    carts.get("k")                        # "v"; None when missing
    arrow.queue("orders").send({"id": 7})  # dicts and lists go as JSON
    arrow.bucket("images").put("a.png", data, "image/png")
"""

import http.client
import json
import os
import socket
import urllib.parse

__all__ = ["ArrowError", "kv", "queue", "bucket", "KV", "Queue", "Bucket"]

DEFAULT_SOCKET = "/run/arrow/api.sock"


class ArrowError(Exception):
    """A refusal of the node: status (403, 404, 413...), code ("forbidden"...), message, field."""

    def __init__(self, status, code, message, field=None):
        super().__init__("%s %s: %s" % (status, code, message))
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("arrow", timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def _quote(text):
    return urllib.parse.quote(text, safe="/")


def _encode(value):
    """str as UTF-8, bytes as they are, anything else as JSON."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), "application/octet-stream"
    if isinstance(value, str):
        return value.encode("utf-8"), "text/plain; charset=utf-8"
    return json.dumps(value).encode("utf-8"), "application/json"


def _request(method, path, body=None, content_type=None, missing_ok=False, timeout=60.0, headers=None):
    """One call to the node; returns (status, headers, body bytes), or None for a 404 when missing_ok."""
    token = os.environ.get("ARROW_TOKEN")
    if not token:
        raise ArrowError(0, "no_token", "ARROW_TOKEN is not set: this runs only inside an arrow's sandbox")
    connection = _UnixConnection(os.environ.get("ARROW_API_SOCKET", DEFAULT_SOCKET), timeout)
    try:
        headers = dict(headers or {}, Authorization="Bearer " + token)
        if body is not None:
            headers["Content-Type"] = content_type or "application/octet-stream"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except OSError as e:  # no socket (not run by a node), refused, timed out
            raise ArrowError(0, "unreachable", "cannot reach the node on %s: %s" % (connection._path, e)) from e
        if response.status == 404 and missing_ok:
            return None
        if response.status >= 400:
            error = {}
            try:
                error = json.loads(data.decode("utf-8")).get("error", {})
            except ValueError:
                pass
            if not isinstance(error, dict):
                error = {}
            raise ArrowError(response.status, error.get("code", "error"),
                             error.get("message", data.decode("utf-8", "replace")), error.get("field"))
        return response.status, response.headers, data
    finally:
        connection.close()


def _json(data):
    return json.loads(data.decode("utf-8")) if data else None


class KV:
    """A key-value store the arrow binds."""

    def __init__(self, store):
        self.store = store

    def _key(self, key):
        return "/v1/kv/%s/keys/%s" % (_quote(self.store), _quote(key))

    def put(self, key, value, ttl=None, revision=None, create=False):
        """Writes value (str, bytes, or anything JSON); returns the new revision.

        revision: write only if the key is still at this revision (compare-and-set); create: only
        if the key does not exist. Otherwise ArrowError 412 precondition_failed."""
        body, content_type = _encode(value)
        path = self._key(key) + ("?ttl=" + _quote(str(ttl)) if ttl is not None else "")
        headers = {}
        if revision is not None:
            headers["If-Match"] = '"%d"' % revision
        if create:
            headers["If-None-Match"] = "*"
        return _json(_request("PUT", path, body, content_type, headers=headers)[2])["revision"]

    def get_entry(self, key):
        """(value as text, revision), or (None, None) when the key is missing."""
        got = _request("GET", self._key(key), missing_ok=True)
        if got is None:
            return None, None
        return got[2].decode("utf-8"), int(got[1].get("ETag", "0").strip('"'))

    def get_bytes(self, key):
        """The value as bytes; None when the key is missing."""
        got = _request("GET", self._key(key), missing_ok=True)
        return None if got is None else got[2]

    def get(self, key):
        """The value as text (UTF-8); None when the key is missing."""
        value = self.get_bytes(key)
        return None if value is None else value.decode("utf-8")

    def get_json(self, key):
        """The value parsed as JSON; None when the key is missing."""
        value = self.get_bytes(key)
        return None if value is None else json.loads(value.decode("utf-8"))

    def delete(self, key):
        _request("DELETE", self._key(key))

    def list(self, prefix=""):
        """The keys that start with prefix, every page of them."""
        keys, cursor = [], None
        while True:
            query = {"prefix": prefix}
            if cursor:
                query["cursor"] = cursor
            page = _json(_request("GET", "/v1/kv/%s/keys?%s" % (_quote(self.store), urllib.parse.urlencode(query)))[2])
            keys.extend(entry["key"] for entry in page.get("keys", []))
            cursor = page.get("next")
            if not cursor:
                return keys


class Queue:
    """A queue the arrow binds."""

    def __init__(self, name):
        self.name = name

    def _path(self, action):
        return "/v1/queues/%s/%s" % (_quote(self.name), action)

    def send(self, message, delay=None):
        """Sends message (str, bytes, or anything JSON); returns its id."""
        body, content_type = _encode(message)
        path = self._path("messages") + ("?delay=" + _quote(str(delay)) if delay is not None else "")
        return _json(_request("POST", path, body, content_type)[2])["id"]

    def receive(self, max=1, wait=0):
        """Up to max messages, waiting up to wait seconds for the first: dicts with id, body (text, or
        None when not UTF-8), bodyBase64, receiptHandle, receiveCount."""
        request = json.dumps({"maxMessages": max, "waitTime": "%gs" % wait}).encode("utf-8")
        got = _request("POST", self._path("receive"), request, "application/json", timeout=60.0 + wait)
        return _json(got[2]).get("messages", [])

    def delete(self, handle):
        """Acknowledges a received message: its receiptHandle, or the message itself."""
        if isinstance(handle, dict):
            handle = handle["receiptHandle"]
        _request("POST", self._path("delete"), json.dumps({"receiptHandle": handle}).encode("utf-8"),
                 "application/json")


class Bucket:
    """A bucket the arrow binds."""

    def __init__(self, name):
        self.name = name

    def _object(self, key):
        return "/v1/buckets/%s/objects/%s" % (_quote(self.name), _quote(key))

    def put(self, key, data, content_type=None):
        body, guessed = _encode(data)
        _request("PUT", self._object(key), body, content_type or guessed)

    def get(self, key):
        """The object's bytes; None when it is missing."""
        got = _request("GET", self._object(key), missing_ok=True)
        return None if got is None else got[2]

    def delete(self, key):
        _request("DELETE", self._object(key))

    def list(self, prefix=""):
        """The keys of the objects that start with prefix."""
        keys, cursor = [], None
        while True:
            query = {"prefix": prefix}
            if cursor:
                query["cursor"] = cursor
            page = _json(_request("GET", "/v1/buckets/%s/objects?%s"
                                  % (_quote(self.name), urllib.parse.urlencode(query)))[2]) or {}
            keys.extend(entry["key"] for entry in page.get("objects", []))
            cursor = page.get("nextCursor")
            if not cursor:
                return keys


def kv(store):
    return KV(store)


def queue(name):
    return Queue(name)


def bucket(name):
    return Bucket(name)
