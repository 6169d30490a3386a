#!/usr/bin/env python3
"""Serves dist/ on 127.0.0.1 like a production static server: .wasm as application/wasm, and
the precompressed .br or .gz copy that scripts/build-web.sh wrote beside a file when the
browser accepts that encoding (the page's 8 MB of wasm travel as about 2 MB).

Usage: serve.py PORT DIRECTORY
"""
import http.server
import os
import sys


class PrecompressedHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
    }

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        accepted = self.headers.get("Accept-Encoding", "")
        for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
            compressed = path + suffix
            if encoding in accepted and os.path.isfile(compressed) and os.path.isfile(path):
                # The copy is only served while it is as new as the file it compresses (to
                # the second: brotli keeps the file's time without its fraction).
                if int(os.path.getmtime(compressed)) < int(os.path.getmtime(path)):
                    continue
                handle = open(compressed, "rb")
                self.send_response(200)
                self.send_header("Content-Type", self.guess_type(path))
                self.send_header("Content-Encoding", encoding)
                self.send_header("Content-Length", str(os.fstat(handle.fileno()).st_size))
                self.send_header("Vary", "Accept-Encoding")
                self.end_headers()
                return handle
        return super().send_head()


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    handler = lambda *args, **kwargs: PrecompressedHandler(*args, directory=directory, **kwargs)
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
