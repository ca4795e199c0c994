"""A small SRU 1.2 server for the tests: searchRetrieve over a few Dublin Core records.

It understands the CQL Vigie sends (``<index> all "<words>"``), pages with
``startRecord``/``maximumRecords``, and answers an SRU diagnostic for any other
query, as real catalogues do.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

RECORDS = [
    {
        "title": "Histoire de la Bourgogne",
        "creator": ["Jean Richard"],
        "date": "1978",
        "publisher": "Privat",
        "type": "texte",
    },
    {
        "title": "Le Blé en herbe",
        "creator": ["Colette"],
        "date": "1923",
        "publisher": "Flammarion",
        "type": "texte",
    },
    {
        "title": "Sido",
        "creator": ["Colette"],
        "date": "1930",
        "publisher": "Ferenczi",
        "type": "texte",
        "identifier": "https://catalogue.example/notice/42",
    },
    {"title": "Dijon, ville d'art & <d'histoire>", "creator": ["Collectif"], "date": "2001", "type": "texte"},
]
QUERY = re.compile(r'^([\w.]+) all "([^"]*)"$')


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _record(r: dict[str, Any], position: int) -> str:
    fields = []
    for key in ("title", "creator", "date", "publisher", "type", "identifier"):
        values = r.get(key, [])
        for value in values if isinstance(values, list) else [values]:
            fields.append(f"<dc:{key}>{escape(value)}</dc:{key}>")
    return (
        "<srw:record><srw:recordSchema>info:srw/schema/1/dc-v1.1</srw:recordSchema>"
        "<srw:recordPacking>xml</srw:recordPacking><srw:recordData>"
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">' + "".join(fields) + "</oai_dc:dc>"
        f"</srw:recordData><srw:recordPosition>{position}</srw:recordPosition></srw:record>"
    )


def answer(params: dict[str, str]) -> str:
    head = '<?xml version="1.0" encoding="UTF-8"?><srw:searchRetrieveResponse xmlns:srw="http://www.loc.gov/zing/srw/">'
    head += "<srw:version>1.2</srw:version>"
    m = QUERY.match(params.get("query", ""))
    if params.get("operation") != "searchRetrieve" or m is None:
        return head + (
            '<srw:diagnostics><diag:diagnostic xmlns:diag="http://www.loc.gov/zing/srw/diagnostic/">'
            "<diag:uri>info:srw/diagnostic/1/10</diag:uri><diag:message>Query syntax error</diag:message>"
            "</diag:diagnostic></srw:diagnostics></srw:searchRetrieveResponse>"
        )
    words = fold(m.group(2)).split()
    found = [r for r in RECORDS if all(w in fold(" ".join([r["title"], *r["creator"]])) for w in words)]
    start = int(params.get("startRecord", "1"))
    size = int(params.get("maximumRecords", "10"))
    page = found[start - 1 : start - 1 + size]
    body = "".join(_record(r, start + i) for i, r in enumerate(page))
    return (
        head
        + f"<srw:numberOfRecords>{len(found)}</srw:numberOfRecords>"
        + f"<srw:records>{body}</srw:records></srw:searchRetrieveResponse>"
    )


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        body = answer(params).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class SruServer:
    def __enter__(self) -> str:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}/sru"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
