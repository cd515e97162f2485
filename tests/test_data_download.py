"""Downloads against a local HTTP server: resume, checksum, safe extraction."""

import hashlib
import io
import tarfile

import pytest

from stylepath.data.fetch import fetch
from stylepath.data.files import safe_extract
from stylepath.io import StylepathError

DATA = bytes(range(256)) * 4000  # ~1 MB, so that chunks and halves are meaningful
SUM = hashlib.sha256(DATA).hexdigest()


def test_fetch_downloads_verifies_and_records(file_server, tmp_path):
    file_server.files["/data.bin"] = DATA
    record = fetch(file_server.url("/data.bin"), tmp_path / "data.bin", SUM)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    assert not (tmp_path / "data.bin.part").exists()
    assert record["sha256"] == SUM and record["size"] == len(DATA)
    assert record["sha256_checked"] and record["expected_sha256_from"] == "config"
    # A second call finds the verified file and does not download again.
    fetch(file_server.url("/data.bin"), tmp_path / "data.bin", SUM)
    assert len(file_server.requests) == 1


def test_fetch_without_sum_records_it_and_says_so(file_server, tmp_path, caplog):
    file_server.files["/data.bin"] = DATA
    record = fetch(file_server.url("/data.bin"), tmp_path / "data.bin", None, sha256_key="dataset.artbench.sha256")
    assert record["sha256"] == SUM and not record["sha256_checked"] and record["expected_sha256"] is None
    assert "no sha256 given" in caplog.text and SUM in caplog.text and "dataset.artbench.sha256" in caplog.text


def test_fetch_resumes_after_the_connection_drops(file_server, tmp_path):
    file_server.files["/data.bin"] = DATA
    file_server.drop_first.add("/data.bin")  # first answer stops after half the body
    fetch(file_server.url("/data.bin"), tmp_path / "data.bin", SUM)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    (first, range_first), (second, range_second) = file_server.requests
    assert range_first is None
    assert range_second == f"bytes={len(DATA) // 2}-"  # continued where the cut left off


def test_fetch_continues_a_part_file_left_by_an_earlier_run(file_server, tmp_path):
    file_server.files["/data.bin"] = DATA
    (tmp_path / "data.bin.part").write_bytes(DATA[:1000])
    fetch(file_server.url("/data.bin"), tmp_path / "data.bin", SUM)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    assert file_server.requests == [("/data.bin", "bytes=1000-")]


def test_fetch_restarts_when_the_server_ignores_range(file_server, tmp_path):
    file_server.files["/data.bin"] = DATA
    file_server.ignore_range = True  # answers 200 with the whole file
    (tmp_path / "data.bin.part").write_bytes(b"stale bytes from another file")
    fetch(file_server.url("/data.bin"), tmp_path / "data.bin", SUM)
    assert (tmp_path / "data.bin").read_bytes() == DATA


def test_fetch_follows_redirects_keeping_the_range(file_server, tmp_path):
    file_server.files["/cdn/data.bin"] = DATA
    file_server.redirects["/data.bin"] = "/cdn/data.bin"
    (tmp_path / "data.bin.part").write_bytes(DATA[:500])
    fetch(file_server.url("/data.bin"), tmp_path / "data.bin", SUM)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    assert file_server.requests[-1] == ("/cdn/data.bin", "bytes=500-")


def test_checksum_mismatch_fails_cleanly(file_server, tmp_path):
    file_server.files["/data.bin"] = DATA
    other = tmp_path / "other.bin"
    other.write_bytes(b"keep me")
    wrong = "0" * 64
    with pytest.raises(StylepathError) as error:
        fetch(file_server.url("/data.bin"), tmp_path / "data.bin", wrong, sha256_key="dataset.artbench.sha256")
    message = str(error.value)
    assert file_server.url("/data.bin") in message and wrong in message and SUM in message
    assert "dataset.artbench.sha256" in message
    assert not (tmp_path / "data.bin").exists() and not (tmp_path / "data.bin.part").exists()
    assert other.read_bytes() == b"keep me"


def test_http_error_names_the_url(file_server, tmp_path):
    with pytest.raises(StylepathError, match="HTTP 404.*Check the URL"):
        fetch(file_server.url("/missing.tar"), tmp_path / "missing.tar")
    assert not (tmp_path / "missing.tar").exists()


def make_tar(path, members):
    """Tar with (name, bytes) files and (name, '->', target) symlinks."""
    with tarfile.open(path, "w") as tar:
        for member in members:
            info = tarfile.TarInfo(member[0])
            if member[1] == "->":
                info.type, info.linkname = tarfile.SYMTYPE, member[2]
                tar.addfile(info)
            else:
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))


def test_safe_extract_extracts_only_selected_members(tmp_path):
    make_tar(tmp_path / "a.tar", [("top/train/realism/1.jpg", b"x"), ("top/train/baroque/2.jpg", b"y")])
    names = safe_extract(tmp_path / "a.tar", tmp_path / "out", lambda name: "realism" in name)
    assert names == ["top/train/realism/1.jpg"]
    assert (tmp_path / "out/top/train/realism/1.jpg").read_bytes() == b"x"
    assert not (tmp_path / "out/top/train/baroque").exists()


@pytest.mark.parametrize(
    "bad, why",
    [
        (("../evil.jpg", b"x"), "'..'"),
        (("top/../../evil.jpg", b"x"), "'..'"),
        (("/tmp/evil.jpg", b"x"), "absolute path"),
        (("top/link", "->", "../../etc/passwd"), "outside the target"),
        (("top/link", "->", "/etc/passwd"), "outside the target"),
    ],
)
def test_safe_extract_rejects_escaping_members(tmp_path, bad, why):
    make_tar(tmp_path / "a.tar", [("top/train/realism/1.jpg", b"x"), bad])
    with pytest.raises(StylepathError, match=f"unsafe archive.*{why}"):
        safe_extract(tmp_path / "a.tar", tmp_path / "out", lambda name: True)
    assert not (tmp_path / "out").exists()  # nothing at all was extracted
    assert not (tmp_path / "evil.jpg").exists()


def test_safe_extract_reports_a_damaged_archive(tmp_path):
    make_tar(tmp_path / "a.tar", [("top/a/1.jpg", b"x" * 5000)])
    (tmp_path / "cut.tar").write_bytes((tmp_path / "a.tar").read_bytes()[:700])
    with pytest.raises(StylepathError, match="cannot read the archive.*download it again"):
        safe_extract(tmp_path / "cut.tar", tmp_path / "out", lambda name: True)


def test_safe_extract_allows_links_inside_the_target(tmp_path):
    make_tar(tmp_path / "a.tar", [("top/a/1.jpg", b"x"), ("top/b/link.jpg", "->", "../a/1.jpg")])
    assert safe_extract(tmp_path / "a.tar", tmp_path / "out", lambda name: True) == ["top/a/1.jpg"]


def data_module_imports() -> dict[str, set[str]]:
    """stylepath.data module -> the stylepath.data modules it imports (anywhere in the file)."""
    import ast
    from pathlib import Path

    import stylepath.data

    folder = Path(stylepath.data.__file__).parent
    modules = {path.stem for path in folder.glob("*.py") if path.stem != "__init__"}
    graph = {}
    for name in modules:
        found = set()
        for node in ast.walk(ast.parse((folder / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "stylepath.data":
                found |= {alias.name for alias in node.names if alias.name in modules}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("stylepath.data."):
                found.add(node.module.split(".")[2])
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("stylepath.data.")}
        graph[name] = found - {name}
    return graph


def test_no_import_cycle_among_data_modules():
    graph = data_module_imports()
    assert "download" not in set().union(*graph.values())  # the command sits on top; nothing imports it
    assert {"artbench", "wikiart"} <= graph["download"] and "fetch" in graph["artbench"]

    def visit(name, path):
        for target in sorted(graph[name]):
            assert target not in path, f"import cycle: {' -> '.join([*path, target])}"
            visit(target, [*path, target])

    for name in graph:
        visit(name, [name])
