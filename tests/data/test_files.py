"""khabar.data.files: bytes off disk, each problem one line naming the file and the line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from khabar.data.files import check_utf8, json_field, json_line, open_file, read_txt, reason, txt_files
from khabar.errors import KhabarError


def test_check_utf8_counts_filled_and_trailing_blank_lines(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("a\n\nب\n\n  \n".encode())
    assert check_utf8(str(path)) == (2, 2)
    path.write_bytes(b"ok\n\xff\n")
    with pytest.raises(KhabarError, match=r"d\.csv: line 2: not valid UTF-8; re-encode it as UTF-8"):
        check_utf8(str(path))
    fake = tmp_path / "d.csv.gz"
    fake.write_bytes(b"not gzip")
    with pytest.raises(KhabarError, match=r"d\.csv\.gz: cannot read .*gzip-compressed"):
        check_utf8(str(fake))


def test_open_file_reads_gzip_and_drops_a_bom(tmp_path):
    path = tmp_path / "d.txt.gz"
    path.write_bytes(gzip.compress("\ufeffنص\n".encode()))
    with open_file(str(path), "rt") as fh:
        assert fh.read() == "نص\n"
    with open_file(str(path)) as fh:
        assert fh.read().startswith(b"\xef\xbb\xbf")  # binary mode: the bytes as they are


def test_json_line():
    assert json_line('{"a": 1}', "d.jsonl", 3) == {"a": 1}
    with pytest.raises(KhabarError, match=r"d\.jsonl: line 3: not valid JSON"):
        json_line("{oops", "d.jsonl", 3)
    with pytest.raises(KhabarError, match=r"d\.jsonl: line 4: expected a JSON object with named fields, got list"):
        json_line("[1, 2]", "d.jsonl", 4)


def test_json_field(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('[{"a": 1}]', encoding="utf-8")
    assert json_field(str(path)) is None
    path.write_text('{"meta": 1, "rows": [{"a": 1}]}', encoding="utf-8")
    assert json_field(str(path)) == "rows"
    path.write_text('{"meta": 1}', encoding="utf-8")
    with pytest.raises(KhabarError, match="expected a JSON list of records"):
        json_field(str(path))
    path.write_text('{"a":\n oops}', encoding="utf-8")
    with pytest.raises(KhabarError, match=r"d\.json: line 2: not valid JSON"):
        json_field(str(path))


def test_txt_files_leave_hidden_files_and_folders_out(tmp_path):
    for name in ("a/1.txt", "a/2.TXT", "a/.3.txt", ".git/4.txt", "b/5.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in txt_files(str(tmp_path))] == ["a/1.txt", "a/2.TXT"]


def test_read_txt_strips_and_names_the_bad_line(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeff  نص \n".encode())
    assert read_txt(path) == "نص"
    path.write_bytes(b"one\ntwo\n\xe9\n")
    with pytest.raises(KhabarError, match=r"a\.txt: line 3: not valid UTF-8"):
        read_txt(path)
    with pytest.raises(KhabarError, match="cannot read"):
        read_txt(Path(tmp_path / "missing.txt"))


def test_reason_is_the_innermost_first_line():
    try:
        try:
            raise ValueError("the real cause\nwith details")
        except ValueError as inner:
            raise RuntimeError("a wrapper") from inner
    except RuntimeError as outer:
        assert reason(outer) == "the real cause"
    assert reason(ValueError("")) == "ValueError"
    assert len(reason(ValueError("x" * 500))) == 200
