"""What the files of a generated repository contain.

The history keeps only paths (each commit's diffstat), so contents are a pure function of the
repository and the path: the same bytes at every revision where the file exists. Besides the source
files of its language, every repository gets *furniture* in its initial commit
(:func:`add_furniture`): a ``CODEOWNERS``, a binary logo, and in most repositories a
``bitbucket-pipelines.yml`` whose build image depends on the repository (several repositories still
use an old one, which is what the docs' recipe looks for); the repositories of ``globex`` carry a
file above 1 MiB (served whole, with its ``Content-Length``) and a 256 MiB one (:data:`HUGE_FILE`,
generated while it is sent, in chunks without a length), so clients meet large files of both
kinds. Nothing here draws from the history's random stream: the choice per repository is a hash of
its UUID.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator

from .serializers import objects as o
from .serializers.common import JSON
from .store import RepoData

#: Build images by language: (current, outdated). A repository picks one of the pair by its UUID.
IMAGES = {
    "python": ("python:3.12", "python:3.8"),
    "typescript": ("node:20", "node:16"),
    "go": ("golang:1.22", "golang:1.19"),
    "java": ("maven:3.9-eclipse-temurin-21", "maven:3.6-jdk-8"),
}
DEPLOY_IMAGE = "atlassian/default-image:4"
LARGE_FILE = "data/fixtures.csv"
LARGE_FILE_BYTES = 1_200_000
#: Too large to build in memory: its bytes are generated chunk by chunk as they are sent (:func:`chunks`).
HUGE_FILE = "data/warehouse-dump.sql"
HUGE_FILE_BYTES = 256 * 1024 * 1024
_HUGE_LINE = b"INSERT INTO events VALUES (1042, 'example row of a warehouse dump', '2026-01-01');\n"
_HUGE_CHUNK_LINES = 800  # ~66 KB per chunk

MIMETYPES = {
    ".py": "text/x-python", ".md": "text/markdown", ".json": "application/json", ".yml": "text/yaml",
    ".yaml": "text/yaml", ".ts": "text/x-typescript", ".tsx": "text/x-typescript", ".go": "text/x-go",
    ".java": "text/x-java", ".toml": "text/x-toml", ".csv": "text/csv", ".png": "image/png",
    ".ico": "image/vnd.microsoft.icon", ".xml": "application/xml",
}
BINARY_SUFFIXES = frozenset({".png", ".ico"})


def _digest(repo: JSON) -> int:
    return int(hashlib.sha256(repo["uuid"].encode()).hexdigest()[:8], 16)


def furniture(repo: JSON) -> list[str]:
    """Paths every repository's initial commit adds besides its language's source files."""
    number = _digest(repo)
    paths = ["CODEOWNERS", "docs/images/logo.png"]
    if number % 7 != 3:  # a few repositories have no pipelines
        paths.append("bitbucket-pipelines.yml")
    if number % 3 == 0:
        paths.append("assets/favicon.ico")
    if repo["full_name"].startswith("globex/"):  # globex keeps test fixtures in git
        paths += [LARGE_FILE, HUGE_FILE]
    return paths


def add_furniture(data: RepoData, repo: JSON) -> None:
    """Record the furniture as added by the repository's initial (oldest) commit."""
    if not data.commit_order:
        return
    root = data.commit_order[-1]
    present = {(entry["new"] or {}).get("path") for entry in data.commit_diffstats.get(root, [])}
    added = [o.diffstat_entry(path, "added", _line_count(repo, path), 0)
             for path in furniture(repo) if path not in present]
    data.commit_diffstats[root] = [*data.commit_diffstats.get(root, []), *added]


def _line_count(repo: JSON, path: str) -> int:
    if is_binary(path):
        return 0
    if path == LARGE_FILE:
        return LARGE_FILE_BYTES // 70
    if path == HUGE_FILE:
        return HUGE_FILE_BYTES // len(_HUGE_LINE)
    return content(repo, path).count(b"\n")


def pipeline_image(repo: JSON) -> str:
    current, outdated = IMAGES.get(repo.get("language") or "", IMAGES["python"])
    return outdated if _digest(repo) % 3 == 1 else current


def mimetype(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    suffix = name[name.rfind("."):] if "." in name else ""
    if name == "CODEOWNERS":
        return "text/plain"
    return MIMETYPES.get(suffix)


def is_binary(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return "." in name and name[name.rfind("."):] in BINARY_SUFFIXES


def size(repo: JSON, path: str) -> int:
    """The size of ``path`` in ``repo`` in bytes, without building a huge file."""
    return HUGE_FILE_BYTES if path == HUGE_FILE else len(content(repo, path))


def is_streamed(path: str) -> bool:
    """Whether ``path`` is served by :func:`chunks` (too large for :func:`content`)."""
    return path == HUGE_FILE


def chunks(repo: JSON, path: str) -> Iterator[bytes]:
    """The bytes of a streamed file, about 64 KiB at a time (exactly :func:`size` in all)."""
    left = size(repo, path)
    block = _HUGE_LINE * _HUGE_CHUNK_LINES
    while left > 0:
        piece = block[:left]
        left -= len(piece)
        yield piece


def content(repo: JSON, path: str) -> bytes:
    """The bytes of ``path`` in ``repo`` (the same at every revision where it exists); a streamed
    file (:func:`is_streamed`) is read with :func:`chunks` instead."""
    if is_streamed(path):
        raise ValueError(f"{path} is {size(repo, path):,} bytes: read it with chunks()")
    if path == "bitbucket-pipelines.yml":
        return _pipelines_yml(repo).encode()
    if path == "CODEOWNERS":
        owner = repo["full_name"].split("/")[0]
        return (f"# Reviewers for {repo['full_name']}\n* @{owner}/developers\n"
                f"docs/ @{owner}/administrators\nbitbucket-pipelines.yml @{owner}/administrators\n").encode()
    if is_binary(path):
        rng = random.Random(f"{repo['uuid']}/{path}")
        header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" if path.endswith(".png") else b"\x00\x00\x01\x00\x01\x00"
        return header + bytes(rng.getrandbits(8) for _ in range(1500 + rng.randrange(3000)))
    if path == LARGE_FILE:
        row = b"id,name,created_on,amount\n"
        line = b"1042,example row with some padding text,2026-01-01T00:00:00Z,1234.56\n"
        return row + line * ((LARGE_FILE_BYTES - len(row)) // len(line) + 1)
    comment = "#" if path.endswith((".py", ".toml", ".yml", ".yaml")) else "//"
    if path.endswith((".md", ".json")):
        return f"{repo['name']}: {path}\n\n{repo.get('description') or ''}\n".encode()
    return (f"{comment} {path} of {repo['full_name']}\n{comment} generated by the Bitbucket emulator\n\n"
            f"{comment} TODO: real code goes here\n").encode()


def _pipelines_yml(repo: JSON) -> str:
    image = pipeline_image(repo)
    cache = "node" if image.startswith("node") else "pip" if image.startswith("python") else "maven"
    test = {"node": "npm ci && npm test", "pip": "pip install -r requirements.txt && pytest"}.get(cache, "make test")
    return (
        f"image: {image}\n\n"
        "pipelines:\n"
        "  default:\n"
        "    - step:\n"
        "        name: Test\n"
        f"        caches: [{cache}]\n"
        "        script:\n"
        f"          - {test}\n"
        "  branches:\n"
        f"    {repo.get('mainbranch', {}).get('name', 'main')}:\n"
        "      - step:\n"
        "          name: Deploy\n"
        f"          image: {DEPLOY_IMAGE}\n"
        "          deployment: production\n"
        "          script:\n"
        "            - ./deploy.sh\n"
        "  custom:\n"
        "    nightly:\n"
        "      - step:\n"
        "          script:\n"
        "            - make nightly\n"
    )
