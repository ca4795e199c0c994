"""What a request's URL and body must be before the app reads them.

Text is UTF-8: bytes that are not are refused (400), never transcoded (the
form parsers would otherwise put U+FFFD or Latin-1 guesses into a report).
A URL may not hold a NUL character, which no text column can store. JSON
bodies may not nest deeper than :data:`vigie.jsondepth.MAX_DEPTH`, escape half a
surrogate pair, nor hold a number longer than :data:`vigie.jsondepth.MAX_DIGITS` digits.

The checks run in :class:`vigie.web.middleware.InputMiddleware` while the app
reads the body, chunk by chunk, so nothing is read twice into memory: a JSON
or form body is decoded incrementally, a multipart body is followed with the
same parser Starlette uses, and only its text parts (not files) are decoded.
"""

from __future__ import annotations

import codecs
from urllib.parse import unquote_to_bytes

from vigie.jsondepth import MAX_DEPTH, MAX_DIGITS, refusal


class BadInput(Exception):
    """The request cannot be read as text; ``str(exc)`` says why, for the client."""


def check_url(path: bytes, query: bytes) -> None:
    """Refuse a path or query string that is not UTF-8 once percent-decoded, or holds NUL."""
    _check_url_part(path, "the URL path", plus=False)
    _check_url_part(query, "the query string", plus=True)


def _check_url_part(raw: bytes, what: str, plus: bool) -> None:
    if b"%" not in raw and raw.isascii():
        return  # nothing encoded: already checked by the HTTP parser
    decoded = unquote_to_bytes(raw.replace(b"+", b" ") if plus else raw)
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{what} is not valid UTF-8") from None
    if b"\x00" in decoded:
        raise BadInput(f"{what} contains a NUL character (%00), which text cannot hold")


class BodyCheck:
    """Checks a body as it streams in: :meth:`feed` each chunk, ``final`` on the last."""

    def feed(self, chunk: bytes, final: bool) -> None:
        raise NotImplementedError


class JsonBodyCheck(BodyCheck):
    """UTF-8 (RFC 8259) and nesting depth of a JSON body."""

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.openers = 0
        self.escapes = False
        self.size = 0
        self.chunks: list[bytes] = []

    def feed(self, chunk: bytes, final: bool) -> None:
        try:
            self.decoder.decode(chunk, final)
        except UnicodeDecodeError:
            raise BadInput("request body is not valid UTF-8") from None
        # Depth needs the whole text only when it has more opening brackets than levels allowed.
        self.openers += chunk.count(b"[") + chunk.count(b"{")
        self.escapes = self.escapes or b"\\" in chunk
        self.size += len(chunk)
        self.chunks.append(chunk)
        # Only a body longer than MAX_DIGITS can hold a number too long to read.
        if not final or (self.openers <= MAX_DEPTH and not self.escapes and self.size <= MAX_DIGITS):
            return
        problem = refusal(b"".join(self.chunks))
        if problem is not None:
            raise BadInput(f"request body: {problem}")


class FormBodyCheck(BodyCheck):
    """An ``application/x-www-form-urlencoded`` body decodes to UTF-8."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def feed(self, chunk: bytes, final: bool) -> None:
        self.chunks.append(chunk)
        if final:
            body = b"".join(self.chunks)
            if b"%" in body or not body.isascii():
                try:
                    unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
                except UnicodeDecodeError:
                    raise BadInput("a form field is not valid UTF-8") from None


class MultipartBodyCheck(BodyCheck):
    """The text fields of a ``multipart/form-data`` body (not its files) are UTF-8."""

    def __init__(self, boundary: bytes) -> None:
        from python_multipart.multipart import MultipartParser

        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )
        self.broken = False
        self._field = b""
        self._value = b""
        self._disposition = b""
        self._decoder: codecs.IncrementalDecoder | None = None

    def feed(self, chunk: bytes, final: bool) -> None:
        if self.broken:
            return
        try:
            self.parser.write(chunk)
            if final:
                self.parser.finalize()
        except BadInput:
            raise
        except Exception:
            # A malformed body: Starlette's parser reports it to the client.
            self.broken = True

    def _part_begin(self) -> None:
        self._disposition = b""
        self._decoder = None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._field.lower() == b"content-disposition":
            self._disposition = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._disposition)
        for name in (b"name", b"filename"):
            try:
                options.get(name, b"").decode("utf-8")
            except UnicodeDecodeError:
                raise BadInput("a form field's name is not valid UTF-8") from None
        if b"filename" not in options:
            self._decoder = codecs.getincrementaldecoder("utf-8")()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._decoder is not None:
            try:
                self._decoder.decode(data[start:end])
            except UnicodeDecodeError:
                raise BadInput("a form field is not valid UTF-8") from None

    def _part_end(self) -> None:
        if self._decoder is not None:
            try:
                self._decoder.decode(b"", True)
            except UnicodeDecodeError:
                raise BadInput("a form field is not valid UTF-8") from None


def body_check(content_type: bytes) -> BodyCheck | None:
    """The check for a body of this Content-Type, or None (other types are not text)."""
    from python_multipart.multipart import parse_options_header

    if content_type.startswith(b"application/json"):  # the API's usual case, without parsing
        return JsonBodyCheck()
    kind, params = parse_options_header(content_type)
    kind = kind.lower()
    if kind == b"application/json" or kind.endswith(b"+json"):
        return JsonBodyCheck()
    if kind == b"application/x-www-form-urlencoded":
        return FormBodyCheck()
    if kind == b"multipart/form-data" and params.get(b"boundary"):
        return MultipartBodyCheck(params[b"boundary"])
    return None
