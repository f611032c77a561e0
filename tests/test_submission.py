"""Reading a submission's file: only a regular file in the folder, bounded, UTF-8."""

from __future__ import annotations

import os
import threading

import pytest

from grader import submission
from grader.submission import MAX_BYTES, Submission, read

SECRET = "instructor_secret_7f3a"


def test_a_plain_file_is_read(tmp_path):
    (tmp_path / "ex.py").write_text("def f():\n    return 'é'\n", encoding="utf-8")
    assert read(tmp_path, "ex") == Submission("def f():\n    return 'é'\n", filename="ex.py")


def test_a_byte_order_mark_is_dropped(tmp_path):
    (tmp_path / "ex.py").write_bytes(b"\xef\xbb\xbfx = 1\n")
    assert read(tmp_path, "ex").text == "x = 1\n"


def test_a_missing_file_is_not_attempted(tmp_path):
    found = read(tmp_path, "ex")
    assert found.missing and found.text is None and found.problem is None


def test_a_missing_folder_is_not_attempted(tmp_path):
    assert read(tmp_path / "nowhere", "ex").missing


def refused(found: Submission) -> str:
    assert found.text is None and found.problem, found
    assert "\n" not in found.problem
    return found.problem


def test_a_symbolic_link_is_refused_without_naming_its_target(tmp_path):
    secret = tmp_path / f"{SECRET}.py"
    secret.write_text(f"{SECRET} = 1\n")
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "ex.py").symlink_to(secret)
    problem = refused(read(folder, "ex"))
    assert "symbolic link" in problem and SECRET not in problem


def test_a_dangling_symbolic_link_is_refused(tmp_path):
    (tmp_path / "ex.py").symlink_to(tmp_path / "nothing-here")
    assert "symbolic link" in refused(read(tmp_path, "ex"))


def test_a_link_to_a_device_is_refused_without_reading_it(tmp_path):
    (tmp_path / "ex.py").symlink_to("/dev/zero")
    assert "symbolic link" in refused(read(tmp_path, "ex"))


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "ex.py").mkdir()
    assert "a folder" in refused(read(tmp_path, "ex"))


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "ex.py")
    result = []
    reader = threading.Thread(target=lambda: result.append(read(tmp_path, "ex")), daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # unblock the reader before failing
        with open(tmp_path / "ex.py", "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert "named pipe" in refused(result[0])


def test_a_sparse_file_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "ex.py"
    with open(path, "wb") as f:
        f.truncate(20 * 2**30)  # 20 GB that take no disk space
    reads = []
    real_read = os.read
    monkeypatch.setattr(submission.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    assert "larger than 1 MiB" in refused(read(tmp_path, "ex"))
    assert reads == []


def test_the_size_cap_is_exact(tmp_path):
    (tmp_path / "ex.py").write_bytes(b"#" * MAX_BYTES)
    assert len(read(tmp_path, "ex").text) == MAX_BYTES
    (tmp_path / "ex.py").write_bytes(b"#" * (MAX_BYTES + 1))
    assert "larger than 1 MiB" in refused(read(tmp_path, "ex"))


def test_a_file_growing_after_fstat_is_cut_at_the_cap(tmp_path, monkeypatch):
    """A file that grows between ``fstat`` and reading is refused; at most cap + 1 bytes are read."""
    path = tmp_path / "ex.py"
    path.write_bytes(b"#" * 10)
    real_fstat = os.fstat

    def fstat_then_grow(fd):
        info = real_fstat(fd)
        with open(path, "ab") as f:
            f.write(b"#" * (4 * MAX_BYTES))
        return info

    wanted = []
    real_read = os.read
    monkeypatch.setattr(submission.os, "fstat", fstat_then_grow)
    monkeypatch.setattr(submission.os, "read", lambda fd, n: wanted.append(n) or real_read(fd, n))
    assert "larger than 1 MiB" in refused(read(tmp_path, "ex"))
    assert sum(wanted) <= MAX_BYTES + 1


def test_non_utf8_is_refused_with_its_line_not_its_content(tmp_path):
    (tmp_path / "ex.py").write_bytes(b"x = 1\ny = '" + SECRET.encode() + b"\xff'\n")
    problem = refused(read(tmp_path, "ex"))
    assert "not valid UTF-8" in problem and "line 2" in problem and SECRET not in problem


def test_nul_bytes_are_refused(tmp_path):
    (tmp_path / "ex.py").write_bytes(b"x = 1\0\n")
    assert "NUL bytes" in refused(read(tmp_path, "ex"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "ex.py"
    path.write_text("x = 1\n")
    path.chmod(0)
    assert "could not be opened" in refused(read(tmp_path, "ex"))


def test_read_regular_rejects_paths(tmp_path):
    fd = submission.open_folder(tmp_path)
    try:
        for name in ("../ex.py", "a/b.py", "..", ""):
            with pytest.raises(ValueError):
                submission.read_regular(fd, name, 10)
    finally:
        os.close(fd)
