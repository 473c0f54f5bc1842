"""One decoder for every upload read as text: deck files and CSV, and source documents."""

import codecs

import pytest

from quizapp.decoding import decode_upload
from quizapp.formats import ImportFailed
from quizapp.formats.csv_import import decode_text as csv_text
from quizapp.sources import SourceLimits, SourceRefused
from quizapp.sources import decode_text as source_text

TEXT = "front,back\nCafé,naïve – “quoted”\n"


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-8"),
    codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    TEXT.encode("cp1252"),
], ids=["utf-8", "utf-8 BOM", "utf-16 LE", "utf-16 BE", "windows-1252"])
def test_every_reader_of_uploads_gets_the_same_text(data):
    assert decode_upload(data) == TEXT
    assert csv_text(data) == TEXT
    assert source_text("notes.txt", data, SourceLimits()) == TEXT


def test_a_bom_is_trusted_so_damaged_utf8_after_it_is_refused_by_both_readers():
    damaged = codecs.BOM_UTF8 + b"caf\xe9 \x81"
    with pytest.raises(UnicodeDecodeError):
        decode_upload(damaged)
    with pytest.raises(ImportFailed, match="encoding is damaged"):
        csv_text(damaged)
    with pytest.raises(SourceRefused, match="encoding could not be read"):
        source_text("notes.txt", damaged, SourceLimits())
