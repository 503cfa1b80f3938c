# A test app for http mode: a static site plus endpoints that misbehave on purpose.
import http.server, os, sys, time

served = 0

class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory="/code/site", **kwargs)

    def log_message(self, *args):
        pass

    def reply(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        global served
        served += 1
        if self.path == "/count":
            self.reply(200, str(served))
        elif self.path.startswith("/slow"):
            time.sleep(0.5)
            self.reply(200, "slow " + str(os.getpid()))
        elif self.path == "/empty":
            self.send_response(204)
            self.end_headers()
        elif self.path == "/crash":
            print("crashing on purpose", file=sys.stderr, flush=True)
            os._exit(3)
        elif self.path == "/oom":
            hog = []
            while True:
                hog.append(bytearray(16 << 20))
        else:
            super().do_GET()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(length)
        print("got", len(data), "bytes", file=sys.stderr, flush=True)
        self.reply(200, "echo:" + data.decode() + " query:" + self.path)

http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
