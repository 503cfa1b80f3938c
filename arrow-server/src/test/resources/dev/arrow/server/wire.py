# A test app for the gateway's wire format: it shows what reached it, and answers in ways a proxy must carry.
import hashlib, http.server, os, time

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, text, extra=()):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_GET(self):
        if self.path.startswith("/headers"):
            lines = [self.requestline] + ["%s: %s" % (k, v) for k, v in self.headers.items()]
            self.reply(200, "\n".join(lines), [("Connection", "keep-alive"), ("Keep-Alive", "timeout=60")])
        elif self.path == "/chunks":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"one ", b"two ", b"three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.startswith("/big/"):
            size = int(self.path[5:])
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            block = bytes(range(256)) * 256
            sent = 0
            while sent < size:
                piece = block[:min(len(block), size - sent)]
                self.wfile.write(piece)
                sent += len(piece)
        elif self.path == "/sleep":
            time.sleep(3)
            self.reply(200, "late")
        elif self.path == "/exit":
            os._exit(3)  # the instance dies under the request, with no answer
        elif self.path == "/empty":
            self.send_response(204)
            self.end_headers()
        else:
            self.reply(200, "path " + self.path)

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "1234")
        self.end_headers()

    def do_POST(self):
        data = self.body()
        self.reply(200, "%d %s" % (len(data), hashlib.sha256(data).hexdigest()))

class Server(http.server.ThreadingHTTPServer):
    # The socketserver default of 5 is below the concurrency the tests deploy this app with: a burst
    # of new connections from the gateway then overflows the accept queue on a busy machine, and the
    # kernel drops a handshake whose retransmission comes after 1 s, the arrow's timeout. Arrow's own
    # python3 bootstrap listens with 128 for the same reason.
    request_queue_size = 128

Server(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
