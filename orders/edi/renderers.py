"""Raw X12 in and out, and binary label responses, beside the JSON the rest of the API speaks."""

from __future__ import annotations

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

X12_MEDIA_TYPE = "application/edi-x12"


class X12Parser(BaseParser):
    media_type = X12_MEDIA_TYPE

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            # X12's basic and extended character sets are ASCII.
            raise ParseError("An X12 interchange is ASCII text.") from None


class _PassThroughRenderer(BaseRenderer):
    """Bytes and text as they are; anything else (a problem body) as JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        if isinstance(data, str):
            return data.encode()
        return json.dumps(data).encode()


class X12Renderer(_PassThroughRenderer):
    media_type = X12_MEDIA_TYPE
    format = "x12"
    charset = "ascii"


class PdfRenderer(_PassThroughRenderer):
    media_type = "application/pdf"
    format = "pdf"


class PngRenderer(_PassThroughRenderer):
    media_type = "image/png"
    format = "png"
