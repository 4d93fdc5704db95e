#!/usr/bin/env python3
"""A tiny HTTP file server for download tests (standard library only).

Serves the files of --root on 127.0.0.1 with byte ranges (206 Partial Content), which
python3 -m http.server does not do. Writes the chosen port to --port-file once it listens and
appends one line per request to --log ("GET /name range=bytes=N-" or "range=-").

  --no-range        ignore Range headers (answer 200 with the whole file)
  --rate N          send at most N bytes per second (so a test can cancel mid-transfer)
  --drop-after N    on the first response only, close the connection after N body bytes
"""
import argparse
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
drop_lock = threading.Lock()
dropped = False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):  # quiet: the test reads --log instead
        pass

    def do_GET(self):
        global dropped
        rng = self.headers.get("Range")
        with open(args.log, "a") as log:
            log.write("GET %s range=%s\n" % (self.path, rng or "-"))
        name = os.path.basename(self.path.split("?")[0])
        path = os.path.join(args.root, name)
        if not name or not os.path.isfile(path):
            self.send_error(404)
            return
        size = os.path.getsize(path)
        start = 0
        m = re.match(r"bytes=(\d+)-$", rng or "")
        if m and not args.no_range:
            start = int(m.group(1))
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        else:
            self.send_response(200)
            self.send_header("Accept-Ranges", "none" if args.no_range else "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        limit = None
        with drop_lock:
            if args.drop_after and not dropped:
                dropped = True
                limit = args.drop_after
        sent = 0
        chunk = 16384
        with open(path, "rb") as f:
            f.seek(start)
            t0 = time.monotonic()
            while True:
                data = f.read(chunk)
                if not data:
                    break
                if limit is not None and sent + len(data) > limit:
                    data = data[: limit - sent]
                try:
                    self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                sent += len(data)
                if limit is not None and sent >= limit:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if args.rate:
                    ahead = sent / args.rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--no-range", action="store_true")
    p.add_argument("--rate", type=int, default=0)
    p.add_argument("--drop-after", type=int, default=0)
    args = p.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
