"""A Hugging Face Hub on 127.0.0.1, just big enough for ``hf_hub_download`` and ``ganzoo push``.

It plays the endpoints huggingface_hub (2.x) calls, as it calls them:

* ``HEAD``/``GET /{repo}/resolve/{revision}/{path}``: ``X-Repo-Commit``, ``ETag`` (the sha256
  of the content, quoted) and ``Content-Length``; a missing repository, revision or file is a
  404 with the ``X-Error-Code`` the client maps to its errors (``RepoNotFound``,
  ``RevisionNotFound``, ``EntryNotFound``);
* ``POST /api/repos/create`` (409 when it exists), ``POST /api/validate-yaml``,
  ``POST /api/models/{repo}/branch/{branch}``, ``POST /api/models/{repo}/preupload/{revision}``
  (every file "regular", so it comes inline, base64, in the commit) and
  ``POST /api/models/{repo}/commit/{revision}`` (the NDJSON body: a header line, then one
  ``file`` line per file); each needs ``Authorization: Bearer`` :data:`TOKEN`, else 401.

Anything else (the client's agent-registry lookup, say) is a plain 404. Every request is
logged in ``requests`` as ``"METHOD path"``; ``repos`` holds what was pushed.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
import urllib.parse
from dataclasses import dataclass, field

TOKEN = "hf_fake_write_token"


@dataclass
class Repo:
    private: bool = False
    #: branch -> commit id; commit id -> {path: content}
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def commit(self, branch: str, files: dict[str, bytes], message: str = "") -> str:
        parent = self.commits.get(self.branches.get(branch, ""), {})
        tree = {**parent, **files}
        oid = hashlib.sha1(json.dumps([branch, len(self.commits), sorted(tree)]).encode()).hexdigest()
        self.commits[oid], self.branches[branch] = tree, oid
        self.messages.append(message)
        return oid


class FakeHub(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.repos: dict[str, Repo] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def files(self, repo_id: str, branch: str = "main") -> dict[str, bytes]:
        repo = self.repos[repo_id]
        return repo.commits[repo.branches[branch]]

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    # ------------------------------------------------------------ plumbing
    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, send_body: bool = True) -> None:
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _json(self, status: int, data: object, headers: dict[str, str] | None = None) -> None:
        self._reply(status, json.dumps(data).encode(), headers)

    def _error(self, status: int, code: str = "", message: str = "", send_body: bool = True, **headers: str) -> None:
        extra = {"X-Error-Message": message or code or "error", **headers}
        if code:
            extra["X-Error-Code"] = code
        self._reply(status, json.dumps({"error": message or code}).encode(), extra, send_body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        self._error(401, message="Invalid credentials in Authorization header")
        return False

    def _parts(self) -> tuple[list[str], dict[str, list[str]]]:
        split = urllib.parse.urlsplit(self.path)
        return [urllib.parse.unquote(p) for p in split.path.split("/")[1:]], urllib.parse.parse_qs(split.query)

    # ------------------------------------------------------------ downloads
    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self._resolve(send_body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._resolve(send_body=True)

    def _resolve(self, send_body: bool) -> None:
        self.server.requests.append(f"{self.command} {self.path}")
        parts, _ = self._parts()
        if len(parts) < 5 or parts[2] != "resolve":
            return self._error(404, send_body=send_body)
        repo_id, revision, path = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
        with self.server.lock:
            repo = self.server.repos.get(repo_id)
            if repo is None:
                return self._error(404, "RepoNotFound", f"Repository not found: {repo_id}", send_body)
            oid = repo.branches.get(revision, revision if revision in repo.commits else None)
            if oid is None:
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", send_body)
            content = repo.commits[oid].get(path)
        if content is None:
            return self._error(404, "EntryNotFound", f"{path} does not exist", send_body, **{"X-Repo-Commit": oid})
        headers = {"Content-Type": "application/octet-stream", "X-Repo-Commit": oid,
                   "ETag": f'"{hashlib.sha256(content).hexdigest()}"'}
        self._reply(200, content, headers, send_body)

    # ------------------------------------------------------------ the API
    def do_POST(self) -> None:  # noqa: N802
        self.server.requests.append(f"POST {self.path}")
        parts, _ = self._parts()
        body = self._body()
        if parts[:1] != ["api"]:
            return self._error(404)
        if parts[1:] == ["validate-yaml"]:
            return self._json(200, {"errors": [], "warnings": []})
        if not self._authorized():
            return None
        if parts[1:] == ["repos", "create"]:
            payload = json.loads(body)
            repo_id = f"{payload['organization']}/{payload['name']}"
            with self.server.lock:
                if repo_id in self.server.repos:  # the Hub answers the repository's URL here too
                    return self._json(409, {"error": "You already created this model repo", "url": f"{self.server.url}/{repo_id}"})
                repo = self.server.repos[repo_id] = Repo(private=payload.get("visibility") == "private")
                repo.commit("main", {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"}, "initial commit")
            return self._json(200, {"url": f"{self.server.url}/{repo_id}", "name": repo_id})
        if len(parts) < 6 or parts[1] != "models":
            return self._error(404)
        repo_id, action, revision = "/".join(parts[2:4]), parts[4], "/".join(parts[5:])
        with self.server.lock:
            repo = self.server.repos.get(repo_id)
            if repo is None:
                return self._error(404, "RepoNotFound", f"Repository not found: {repo_id}")
            if action == "branch":
                if revision in repo.branches:
                    return self._error(409, message="Reference already exists")
                repo.branches[revision] = repo.branches["main"]
                return self._json(200, {})
            if revision not in repo.branches:
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            if action == "preupload":
                files = json.loads(body)["files"]
                return self._json(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                                                   "oid": None} for f in files]})
            if action == "commit":
                lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                header = next(line["value"] for line in lines if line["key"] == "header")
                files = {line["value"]["path"]: base64.b64decode(line["value"]["content"]) for line in lines if line["key"] == "file"}
                if any(line["key"] not in ("header", "file") for line in lines):
                    return self._error(400, message="the fake hub takes regular files only")
                oid = repo.commit(revision, files, header["summary"])
                return self._json(200, {"commitUrl": f"{self.server.url}/{repo_id}/commit/{oid}", "commitOid": oid,
                                        "success": True})
        return self._error(404)
