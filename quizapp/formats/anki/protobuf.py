"""Just enough of protobuf's wire format to read Anki's note types, templates and media list.

Pure Python; every malformed blob is an :class:`~quizapp.formats.ImportFailed`.
"""

from __future__ import annotations

from collections import defaultdict

from quizapp.formats import ImportFailed


def _varint(data: bytes, position: int, what: str) -> tuple[int, int]:
    value = 0
    for shift in range(0, 70, 7):
        if position >= len(data):
            break
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
    raise ImportFailed(f"The {what} data in the Anki package is damaged.")


def protobuf_fields(data: bytes, what: str) -> dict[int, list[int | bytes]]:
    """Field number → values, in order; length-delimited values stay bytes."""
    fields: dict[int, list[int | bytes]] = defaultdict(list)
    position = 0
    while position < len(data):
        key, position = _varint(data, position, what)
        number, wire_type = key >> 3, key & 7
        value: int | bytes
        if number == 0:
            raise ImportFailed(f"The {what} data in the Anki package is damaged.")
        if wire_type == 0:
            value, position = _varint(data, position, what)
        elif wire_type in (1, 5):
            width = 8 if wire_type == 1 else 4
            value, position = data[position : position + width], position + width
        elif wire_type == 2:
            length, position = _varint(data, position, what)
            value, position = data[position : position + length], position + length
        else:
            raise ImportFailed(f"The {what} data in the Anki package is damaged.")
        if position > len(data):
            raise ImportFailed(f"The {what} data in the Anki package is damaged.")
        fields[number].append(value)
    return fields


def protobuf_string(fields: dict[int, list[int | bytes]], number: int, what: str) -> str:
    value = fields.get(number, [b""])[-1]
    if not isinstance(value, bytes):
        raise ImportFailed(f"The {what} data in the Anki package is damaged.")
    return value.decode("utf-8")
