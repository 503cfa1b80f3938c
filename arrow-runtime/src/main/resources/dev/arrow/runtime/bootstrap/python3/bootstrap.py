"""Arrow's python3 runtime: serves ARROW_HANDLER (module.function) over HTTP on $PORT.

Standard library only. The protocol is in ../README.md: one POST per invocation, the event as the
body, the result as the response; module state persists between invocations.
"""

import importlib
import json
import os
import socket
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NO_DEADLINE_REMAINING_MS = 2147483647
MAX_CHUNK_LINE = 4096
MAX_BODY = 64 << 20


def _fail(message):
    sys.stderr.write("arrow: " + message + "\n")
    sys.stderr.flush()
    sys.exit(1)


def load_handler(spec):
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        _fail("bad handler %r: expected module.function (module may be a dotted path)" % spec)
    try:
        module = importlib.import_module(module_name)
    except BaseException:  # SyntaxError, ImportError, anything the module raises at import, SystemExit
        sys.stderr.write("arrow: cannot import module %r of handler %r from %s\n"
                         % (module_name, spec, os.getcwd()))
        traceback.print_exc(file=sys.stderr)
        _fail("handler %r failed to load" % spec)
    function = getattr(module, function_name, None)
    if function is None:
        _fail("handler %r: module %r has no attribute %r" % (spec, module_name, function_name))
    if not callable(function):
        _fail("handler %r: %r is a %s, not a function" % (spec, function_name, type(function).__name__))
    return function


class Context:
    """What the handler learns about its invocation (Lambda-style names)."""

    def __init__(self, invocation_id, deadline_ms):
        self.invocation_id = invocation_id
        self.aws_request_id = invocation_id
        self.deadline_ms = deadline_ms
        self.function_name = FUNCTION_NAME
        self.function_version = FUNCTION_VERSION
        self.memory_limit_in_mb = MEMORY_LIMIT_IN_MB

    def get_remaining_time_in_millis(self):
        if self.deadline_ms is None:
            return NO_DEADLINE_REMAINING_MS
        return max(0, self.deadline_ms - int(time.time() * 1000))

    def __repr__(self):
        return "Context(invocation_id=%r, function_name=%r)" % (self.invocation_id, self.function_name)


def _reject_constant(name):
    raise ValueError("not JSON: " + name)


def parse_event(body):
    if not body:
        return None
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return body


def _log_error(invocation_id, text):
    prefix = (invocation_id or "-") + " "
    sys.stderr.write("".join(prefix + line + "\n" for line in text.rstrip("\n").split("\n")))
    sys.stderr.flush()


def error_body(error, tb):
    frames = traceback.format_list(traceback.extract_tb(tb))
    return json.dumps({
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": [frame.rstrip("\n") for frame in frames],
    }).encode("utf-8")


class BadRequest(Exception):
    status = 400


class TooLarge(BadRequest):
    status = 413


class InvocationHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "arrow-python3"
    sys_version = ""
    disable_nagle_algorithm = True

    def log_request(self, code="-", size="-"):
        pass  # no access log: the node records invocations itself

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding")
        length = self.headers.get("Content-Length")
        if te is not None:
            if length is not None or te.strip().lower() != "chunked":
                raise BadRequest("unsupported Transfer-Encoding %r" % te)
            return self._read_chunked()
        if length is None:
            return b""
        if not length.strip().isdigit():
            raise BadRequest("bad Content-Length %r" % length)
        n = int(length)
        if n > MAX_BODY:
            raise TooLarge("body over %d bytes" % MAX_BODY)
        body = self.rfile.read(n)
        if len(body) != n:
            raise BadRequest("body ended after %d of %d bytes" % (len(body), n))
        return body

    def _read_chunked(self):
        parts = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_CHUNK_LINE + 1)
            if not line.endswith(b"\n") or len(line) > MAX_CHUNK_LINE:
                raise BadRequest("bad chunk size line")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BadRequest("bad chunk size %r" % size_text) from None
            if size < 0:
                raise BadRequest("bad chunk size")
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise TooLarge("body over %d bytes" % MAX_BODY)
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(3).strip() != b"":
                raise BadRequest("truncated chunk")
            parts.append(chunk)
        while True:  # trailers
            line = self.rfile.readline(MAX_CHUNK_LINE + 1)
            if not line.endswith(b"\n"):
                raise BadRequest("bad trailer")
            if line in (b"\r\n", b"\n"):
                return b"".join(parts)

    def _send(self, status, content_type, body, extra=()):
        head = ["%s %d %s\r\n" % (self.protocol_version, status, self.responses.get(status, ("",))[0]),
                "Content-Type: %s\r\n" % content_type,
                "Content-Length: %d\r\n" % len(body)]
        for name, value in extra:
            head.append("%s: %s\r\n" % (name, value))
        if self.close_connection:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        self.wfile.write("".join(head).encode("latin-1") + body)

    def _invoke(self):
        try:
            body = self._read_body()
        except BadRequest as e:
            self.close_connection = True
            self._send(e.status, "text/plain", (str(e) + "\n").encode("utf-8"))
            return
        invocation_id = self.headers.get("Arrow-Invocation-Id", "")
        deadline = self.headers.get("Arrow-Deadline-Ms")
        try:
            deadline_ms = int(deadline) if deadline is not None else None
        except ValueError:
            deadline_ms = None
        try:
            try:
                result = HANDLER(parse_event(body), Context(invocation_id, deadline_ms))
                if isinstance(result, (bytes, bytearray, memoryview)):
                    status, content_type, out = 200, "application/octet-stream", bytes(result)
                else:
                    status, content_type = 200, "application/json"
                    out = json.dumps(result, allow_nan=False).encode("utf-8")
            except BaseException as e:  # SystemExit too: one bad invocation does not end the instance
                tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
                _log_error(invocation_id, "".join(traceback.format_exception(type(e), e, tb)))
                status, content_type, out = 500, "application/json", error_body(e, tb)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        if status == 500:
            self._send(status, content_type, out, (("Arrow-Error", "unhandled"),))
        else:
            self._send(status, content_type, out)

    do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = do_OPTIONS = _invoke


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that went away mid-response is not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, socket.timeout)):
            super().handle_error(request, client_address)


def main():
    global HANDLER, FUNCTION_NAME, FUNCTION_VERSION, MEMORY_LIMIT_IN_MB
    # The code directory, not this file's directory, heads the import path; this directory comes
    # last, for Arrow's client (import arrow), which the arrow's own code may override.
    runtime_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[0] = os.getcwd()
    sys.path.append(runtime_dir)
    try:
        port = int(os.environ.get("PORT", ""))
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        sys.stderr.write("arrow: PORT must be a TCP port, not %r\n" % os.environ.get("PORT"))
        sys.exit(2)
    FUNCTION_NAME = os.environ.get("ARROW_NAME", "")
    FUNCTION_VERSION = os.environ.get("ARROW_REVISION", "")
    limit = os.environ.get("ARROW_MEMORY_LIMIT_BYTES", "")
    MEMORY_LIMIT_IN_MB = int(limit) // (1024 * 1024) if limit.isdigit() else None
    HANDLER = load_handler(os.environ.get("ARROW_HANDLER", ""))
    sys.stdout.flush()
    server = Server(("127.0.0.1", port), InvocationHandler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


HANDLER = None
FUNCTION_NAME = ""
FUNCTION_VERSION = ""
MEMORY_LIMIT_IN_MB = None

if __name__ == "__main__":
    main()
