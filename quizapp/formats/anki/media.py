"""An Anki package's media: its list of names and the files notes refer to.

Pure Python. Files are unpacked only when a note shows them, each against a cap of its own
and all of them against the deck's media allowance; names are checked and made safe.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from quizapp.formats import ImportFailed, MediaLimits, megabytes
from quizapp.formats.anki.package import (
    ZSTD_MAGIC,
    Budget,
    TooLarge,
    read_member,
    unzstd,
)
from quizapp.formats.anki.protobuf import protobuf_fields, protobuf_string

IMAGE_SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".bmp": (b"BM",),
}
SAFE_MEDIA_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
MEDIA_NAME_FORBIDDEN_RE = re.compile(r"[/\\\x00-\x1f\x7f]")


class MediaStore:
    """The package's media list, with files unpacked only when a note refers to them."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        members: dict[str, zipfile.ZipInfo],
        budget: Budget,
        limits: MediaLimits,
    ):
        self.archive = archive
        self.members = members
        self.budget = budget
        self.limits = limits
        self.too_large: set[str] = set()
        self.kept_bytes = 0
        self.compressed = False
        self.member_by_name: dict[str, str] = {}
        if "media" in members:
            self._read_media_list(read_member(archive, members["media"], budget))
        self.contents: dict[str, bytes | None] = {}

    def _read_media_list(self, raw: bytes) -> None:
        if raw.startswith(ZSTD_MAGIC):
            self.compressed = True
            entries = protobuf_fields(unzstd(raw, self.budget, "media list"), "media list")
            for index, entry in enumerate(entries.get(1, [])):
                if not isinstance(entry, bytes):
                    raise ImportFailed("The media list data in the Anki package is damaged.")
                parsed = protobuf_fields(entry, "media list")
                member = parsed.get(255, [index])[-1]
                self._add(protobuf_string(parsed, 1, "media list"), str(member))
            return
        try:
            listing = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise ImportFailed("The media list in the Anki package is damaged.") from None
        if not isinstance(listing, dict):
            raise ImportFailed("The media list in the Anki package is damaged.")
        for member, name in listing.items():
            if not isinstance(name, str):
                raise ImportFailed("The media list in the Anki package is damaged.")
            self._add(name, member)

    def _add(self, name: str, member: str) -> None:
        if (
            not name
            or name in (".", "..")
            or len(name) > 255
            or MEDIA_NAME_FORBIDDEN_RE.search(name)
        ):
            raise ImportFailed(
                f"The Anki package has a media file with an unsafe name ({name[:80]!r}), "
                "so it was refused."
            )
        self.member_by_name[name] = member

    def find(self, reference: str) -> str | None:
        """The media list's name for an ``<img src>`` value, if the package has it."""
        for candidate in (reference, unquote(reference)):
            if candidate in self.member_by_name:
                return candidate
        return None

    def content(self, name: str) -> bytes | None:
        """The file's bytes; None when it is missing or larger than one file may be (then
        its name is in ``too_large``). Unpacking stops as soon as the file is too large."""
        if name not in self.contents:
            self.contents[name] = self._unpack(name)
        return self.contents[name]

    def _unpack(self, name: str) -> bytes | None:
        info = self.members.get(self.member_by_name[name])
        if info is None:
            return None
        cap = self.limits.file_bytes
        try:
            data = read_member(self.archive, info, self.budget, None if self.compressed else cap)
            if self.compressed:
                data = unzstd(data, self.budget, "media file", cap)
        except TooLarge:
            self.too_large.add(name[:80])
            return None
        self.kept_bytes += len(data)
        if self.kept_bytes > self.limits.deck_bytes:
            raise ImportFailed(
                f"The images the notes use come to more than "
                f"{megabytes(self.limits.deck_bytes)} MB; a deck may carry at most that much."
            )
        return data


def has_url_scheme(reference: str) -> bool:
    try:
        return bool(urlsplit(reference).scheme)
    except ValueError:
        return True


def safe_media_name(name: str) -> str:
    if SAFE_MEDIA_NAME_RE.match(name):
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    return f"media-{digest}{PurePosixPath(name).suffix.lower()}"


def looks_like_image(name: str, data: bytes) -> bool:
    signatures = IMAGE_SIGNATURES.get(PurePosixPath(name).suffix.lower(), ())
    if not any(data.startswith(signature) for signature in signatures):
        return False
    return not name.lower().endswith(".webp") or data[8:12] == b"WEBP"
