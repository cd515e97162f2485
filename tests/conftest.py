"""Shared test fixtures."""

import http.server
import json
import re
import threading

import pytest

# ---------------------------------------------------------------- data stage: a local HTTP server


class FileServer:
    """What the local server serves, and what it was asked.

    files: {path: bytes} served with HTTP Range support; json: {path: value} (with an
    optional Link header from links); redirects: {path: target path}. drop_first: paths whose
    first GET is cut off after half the body; ignore_range: answer 200 to Range requests.
    requests: (path, Range header) of every GET, in order.
    """

    def __init__(self):
        self.files, self.json, self.links, self.redirects = {}, {}, {}, {}
        self.drop_first, self.ignore_range, self.requests = set(), False, []
        self.port = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def send(self, status: int, body: bytes, headers: dict, cut: bool = False) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if cut else body)

    def do_GET(self):
        state: FileServer = self.server.state
        path, requested = self.path, self.headers.get("Range")
        state.requests.append((path, requested))
        if path in state.redirects:
            return self.send(302, b"", {"Location": state.url(state.redirects[path]), "Content-Length": "0"})
        if path in state.json:
            body = json.dumps(state.json[path]).encode()
            headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
            if path in state.links:
                headers["Link"] = f'<{state.url(state.links[path])}>; rel="next"'
            return self.send(200, body, headers)
        if path not in state.files:
            return self.send(404, b"not found", {"Content-Length": "9"})
        data = state.files[path]
        cut = path in state.drop_first
        state.drop_first.discard(path)
        if requested and not state.ignore_range:
            start = int(re.match(r"bytes=(\d+)-", requested).group(1))
            if start >= len(data):
                return self.send(416, b"", {"Content-Range": f"bytes */{len(data)}", "Content-Length": "0"})
            headers = {
                "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}",
                "Content-Length": str(len(data) - start),
            }
            return self.send(206, data[start:], headers, cut)
        return self.send(200, data, {"Content-Length": str(len(data))}, cut)


@pytest.fixture
def file_server(monkeypatch):
    """A FileServer on 127.0.0.1 (a free port) in a thread; downloads retry without delay."""
    from stylepath.data import fetch

    monkeypatch.setattr(fetch, "RETRY_DELAY_S", 0.0)
    state = FileServer()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.state, state.port = state, httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
