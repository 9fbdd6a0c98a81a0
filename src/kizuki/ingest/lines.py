"""Newline-delimited files read in bounded memory: byte blocks split at newlines into Arrow.

Each line becomes one value of a ``pa.StringArray`` built straight from the block's bytes and
the newline offsets (numpy finds them; no Python work per line). A value keeps its trailing
newline, which JSON parsers ignore. Blank lines are skipped but keep their line numbers.
Lines that are not valid UTF-8 are set aside as rejects with their line number. A gzipped file
(``.json.gz``, known by its magic bytes) is read through ``gzip``: its offsets count the
uncompressed bytes, so a resumed read decompresses from the start up to the offset.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["LineChunk", "Reject", "is_gzip", "iter_line_chunks", "open_lines"]

BLOCK_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Reject:
    """A record the reader itself could not turn into a row."""

    row: int
    raw: str
    reason: str


@dataclass
class LineChunk:
    """Up to ``max_rows`` non-blank lines: their text and 1-based line numbers."""

    lines: pa.Array  # string
    rows: np.ndarray  # int64 line numbers
    last_row: int  # last line number covered (blank lines included)
    end_offset: int  # byte offset just after the chunk's last line
    rejects: list[Reject] = field(default_factory=list)


def is_gzip(path: Path) -> bool:
    """True when the file starts with gzip's magic bytes."""
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def open_lines(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is gzipped."""
    if is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _block_lines(data: bytes) -> tuple[pa.Array, np.ndarray]:
    """Split complete lines of ``data``: (binary values incl. newline, end offsets)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10) + 1
    if len(data) and (len(ends) == 0 or ends[-1] != len(data)):
        ends = np.append(ends, len(data))
    offsets = np.concatenate([[0], ends]).astype(np.int64)
    arr = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    return arr, ends


def _to_text(arr: pa.Array, rows: np.ndarray) -> tuple[pa.Array, list[Reject]]:
    """Binary lines → string lines; lines that are not UTF-8 become rejects (set to null)."""
    try:
        return arr.cast(pa.large_string()), []
    except pa.ArrowInvalid:
        pass
    rejects: list[Reject] = []
    values: list[str | None] = []
    for row, raw in zip(rows.tolist(), arr.to_pylist(), strict=True):  # rare path: bad bytes
        try:
            values.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            values.append(None)
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            rejects.append(Reject(row, text, f"line is not valid UTF-8 text ({exc.reason})"))
    return pa.array(values, pa.large_string()), rejects


def iter_line_chunks(
    path: Path, *, max_rows: int, start_offset: int = 0, start_line: int = 0
) -> Iterator[LineChunk]:
    """Yield chunks of up to ``max_rows`` lines, starting after byte ``start_offset``.

    ``start_line`` is the number of lines before ``start_offset`` (to resume numbering).
    """
    line_no = start_line
    offset = start_offset
    with open_lines(path) as fh:
        fh.seek(start_offset)
        carry = b""
        eof = False
        while not eof:
            block = fh.read(BLOCK_BYTES)
            eof = not block
            data = carry + block
            if not eof:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # one line longer than a block: keep reading
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            if not data:
                continue
            arr, ends = _block_lines(data)
            n = len(arr)
            rows = np.arange(line_no + 1, line_no + n + 1, dtype=np.int64)
            text, rejects = _to_text(arr, rows)
            blank = pc.fill_null(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0), False)
            keep = pc.invert(blank).to_numpy(zero_copy_only=False)
            if rejects:
                keep &= pc.is_valid(text).to_numpy(zero_copy_only=False)
            kept = np.flatnonzero(keep)
            for start in range(0, max(len(kept), 1), max_rows):
                sel = kept[start : start + max_rows]
                last_idx = int(sel[-1]) if len(sel) else n - 1
                if start + max_rows >= len(kept):
                    last_idx = n - 1  # trailing blank lines belong to the last chunk
                chunk_rejects = [
                    r for r in rejects if (r.row <= rows[last_idx]) and (r.row > line_no)
                ]
                yield LineChunk(
                    lines=text.take(pa.array(sel, pa.int64())) if len(sel) < n else text,
                    rows=rows[sel],
                    last_row=int(rows[last_idx]),
                    end_offset=offset + int(ends[last_idx]),
                    rejects=chunk_rejects,
                )
                line_no = int(rows[last_idx])
            offset += len(data)
            line_no = int(rows[-1])
