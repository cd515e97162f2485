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
    yield from serve(FileServer(), Handler)


def serve(state, handler):
    """Serve `handler` on 127.0.0.1 (a free port, set as state.port) in a thread; yield `state`
    (the server's `state`), then stop."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.state, state.port = state, httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


# ---------------------------------------------------------------- data stage: a fake Hugging Face Hub


class FakeHub:
    """A dataset repository served the way the Hugging Face Hub serves it to `huggingface_hub`.

    commits: {sha: {repo path: bytes}}; refs: {branch: sha}. Routes: the revision API, the
    tree API (paginated, `page_size` entries per page, Link headers), HEAD/GET on
    /datasets/<repo>/resolve/<rev>/<path> answering 302 with the Hub's metadata headers
    (X-Repo-Commit, X-Linked-Etag = the LFS sha256, X-Linked-Size) to a 'CDN' on another
    origin (http://localhost:<port>/cdn/<sha256>, Range supported), no Xet headers.
    requests: (method, host, path, Authorization, Range) of every request, in order.
    drop_first: CDN sha256s whose first GET is cut off after half the body.
    """

    def __init__(self, repo: str):
        self.repo, self.commits, self.refs = repo, {}, {}
        self.page_size, self.drop_first, self.requests = 1, set(), []
        self.port = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def blob(self, digest: str) -> bytes | None:
        return next((d for files in self.commits.values() for d in files.values() if sha256(d) == digest), None)

    def downloads(self) -> list[str]:
        """CDN paths fetched with GET, in order."""
        return [path for method, _, path, *_ in self.requests if method == "GET" and path.startswith("/cdn/")]


def sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


class HubHandler(Handler):
    def do_HEAD(self):
        self.answer(head=True)

    def do_GET(self):
        self.answer(head=False)

    def reply(self, status: int, body: bytes = b"", headers: dict | None = None, head=False, cut=False) -> None:
        headers = {"Content-Length": str(len(body)), **(headers or {})}
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body[: len(body) // 2] if cut else body)

    def error(self, status: int, code: str, head: bool) -> None:
        self.reply(status, code.encode(), {"X-Error-Code": code, "X-Error-Message": code}, head)

    def answer(self, head: bool) -> None:
        from urllib.parse import parse_qs, unquote, urlsplit

        hub: FakeHub = self.server.state
        url = urlsplit(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        asked = self.headers
        hub.requests.append((self.command, asked.get("Host", ""), path, asked.get("Authorization"), asked.get("Range")))
        prefix = f"/datasets/{hub.repo}/resolve/"
        api = f"/api/datasets/{hub.repo}/"
        if path.startswith("/cdn/"):
            return self.cdn(hub, path.removeprefix("/cdn/"), head)
        if path.startswith(api + "revision/"):
            sha = self.commit(hub, path.removeprefix(api + "revision/"))
            if sha is None:
                return self.error(404, "RevisionNotFound", head)
            body = json.dumps({"id": hub.repo, "sha": sha, "private": False}).encode()
            return self.reply(200, body, {"Content-Type": "application/json"}, head)
        if path.startswith(api + "tree/"):
            revision, _, folder = path.removeprefix(api + "tree/").partition("/")
            sha = self.commit(hub, revision)
            if sha is None:
                return self.error(404, "RevisionNotFound", head)
            entries = [self.entry(name, data) for name, data in sorted(hub.commits[sha].items())]
            entries = [e for e in entries if not folder or e["path"].startswith(folder.rstrip("/") + "/")]
            if not entries:
                return self.error(404, "EntryNotFound", head)
            start = int(query.get("cursor", ["0"])[0])
            page = entries[start : start + hub.page_size]
            headers = {"Content-Type": "application/json"}
            if start + hub.page_size < len(entries):
                next_url = f"{hub.endpoint}{url.path}?{url.query.split('&cursor=')[0]}&cursor={start + hub.page_size}"
                headers["Link"] = f'<{next_url}>; rel="next"'
            return self.reply(200, json.dumps(page).encode(), headers, head)
        if path.startswith(prefix):
            revision, _, name = path.removeprefix(prefix).partition("/")
            sha = self.commit(hub, revision)
            if sha is None:
                return self.error(404, "RevisionNotFound", head)
            if name not in hub.commits[sha]:
                return self.reply(404, b"", {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": sha}, head)
            data = hub.commits[sha][name]
            headers = {
                "Location": f"http://localhost:{hub.port}/cdn/{sha256(data)}",
                "X-Repo-Commit": sha,
                "X-Linked-Etag": f'"{sha256(data)}"',
                "X-Linked-Size": str(len(data)),
                "ETag": '"pointer-etag"',
            }
            return self.reply(302, b"", headers, head)
        return self.error(404, "RepoNotFound", head)

    @staticmethod
    def commit(hub: FakeHub, revision: str) -> str | None:
        return revision if revision in hub.commits else hub.refs.get(revision)

    @staticmethod
    def entry(name: str, data: bytes) -> dict:
        lfs = {"oid": sha256(data), "size": len(data), "pointerSize": 134}
        return {"type": "file", "oid": "0" * 40, "size": len(data), "path": name, "lfs": lfs}

    def cdn(self, hub: FakeHub, digest: str, head: bool) -> None:
        data = hub.blob(digest)
        if data is None:
            return self.reply(404, b"", {}, head)
        cut = not head and digest in hub.drop_first
        if cut:
            hub.drop_first.discard(digest)
        requested = self.headers.get("Range")
        if requested:
            start = int(re.match(r"bytes=(\d+)-", requested).group(1))
            headers = {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
            return self.reply(206, data[start:], headers, head, cut)
        return self.reply(200, data, {}, head, cut)


@pytest.fixture
def fake_hub():
    """A FakeHub for the dataset huggan/wikiart on 127.0.0.1 (a free port), in a thread."""
    yield from serve(FakeHub("huggan/wikiart"), HubHandler)
