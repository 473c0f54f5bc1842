"""Thin views, one blueprint per area."""

from flask import Response


def attachment(data: bytes | str, filename: str, mimetype: str) -> Response:
    """A download: the browser saves it under ``filename`` instead of showing it."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
