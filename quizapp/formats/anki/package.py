"""Unpacking an Anki package: its zip members and zstd streams, all counted against budgets.

Pure Python. The sizes a zip header or a zstd frame states are the uploader's claim, so
every byte that really comes out is counted against one budget shared by the whole package,
and a single file against a cap of its own. The collection is streamed to a file on disk,
never held in memory whole.
"""

from __future__ import annotations

import io
import zipfile
from typing import IO, cast

import zstandard

from quizapp.formats import ImportFailed, megabytes

MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ZIP_MEMBERS = 20_000
COLLECTION_MEMBERS = ("collection.anki21b", "collection.anki21", "collection.anki2")
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
CHUNK = 1 << 16


class Budget:
    """Bytes that may still be unpacked; shared by every member of one package."""

    def __init__(self, limit: int):
        self.limit = limit
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise ImportFailed(
                f"The Anki package unpacks to more than {megabytes(self.limit)} MB, "
                "so it was refused (it may be a zip bomb)."
            )


class TooLarge(Exception):
    """One member unpacks to more than its own cap (the package may still be fine)."""


def _collect(stream: IO[bytes], budget: Budget, cap: int | None) -> bytes:
    unpacked = bytearray()
    while chunk := stream.read(CHUNK):
        budget.spend(len(chunk))
        unpacked += chunk
        if cap is not None and len(unpacked) > cap:
            raise TooLarge
    return bytes(unpacked)


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, cap: int | None = None
) -> bytes:
    with archive.open(info) as stream:
        return _collect(stream, budget, cap)


def unzstd(compressed: bytes, budget: Budget, what: str, cap: int | None = None) -> bytes:
    if not compressed.startswith(ZSTD_MAGIC):
        raise ImportFailed(f"The {what} in the Anki package is damaged.")
    decompressor = zstandard.ZstdDecompressor()
    with decompressor.stream_reader(io.BytesIO(compressed), read_across_frames=True) as stream:
        return _collect(stream, budget, cap)


def extract_collection(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, path: str
) -> None:
    """Write the collection's SQLite file to ``path``, unpacking zstd on the way."""
    with archive.open(info) as member, open(path, "wb") as file:
        stream: IO[bytes] = member
        if info.filename == "collection.anki21b":
            head = member.read(len(ZSTD_MAGIC))
            if head != ZSTD_MAGIC:
                raise ImportFailed("The collection in the Anki package is damaged.")
            # A RawIOBase is a binary file object; typeshed's IO[bytes] does not say so.
            joined = cast(IO[bytes], _Prefixed(head, member))
            stream = zstandard.ZstdDecompressor().stream_reader(joined, read_across_frames=True)
        while chunk := stream.read(CHUNK):
            budget.spend(len(chunk))
            file.write(chunk)


class _Prefixed(io.RawIOBase):
    """A stream that yields ``head`` and then the rest of ``rest``."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.head:
            piece, self.head = self.head, b""
            return piece
        return self.rest.read(size)


def unsafe_member_name(name: str) -> bool:
    normalized = name.replace("\\", "/")
    return (
        not name
        or "\x00" in name
        or normalized.startswith("/")
        or (len(name) > 1 and name[1] == ":")
        or ".." in normalized.split("/")
    )


def open_package(data: bytes) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo], str]:
    """The archive, its members by name and the name of its collection member."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ImportFailed(
            "The file is not a readable zip archive, so not an Anki package."
        ) from None
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ImportFailed(f"The Anki package holds more than {MAX_ZIP_MEMBERS} files.")
    for info in infos:
        if unsafe_member_name(info.filename):
            raise ImportFailed(
                f"The Anki package contains a file with an unsafe path "
                f"({info.filename[:80]!r}), so it was refused."
            )
    members = {info.filename: info for info in infos}
    collection_name = next((n for n in COLLECTION_MEMBERS if n in members), None)
    if collection_name is None:
        raise ImportFailed("This zip file holds no Anki collection, so it is not an Anki package.")
    return archive, members, collection_name
