"""The subset of Opendatasoft's query language (ODSQL) the records API understands, as DuckDB SQL.

Text from the URL is tokenised and parsed here, never pasted into SQL: fields
must be columns of the release (written as quoted identifiers), values become
bound parameters. What is outside the subset is refused with an
``ODSQLError`` naming it. The subset (docs/opendata-api.md):

- ``where``: ``field = value`` (``!=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``),
  ``field IN (v1, v2)``, ``field NOT IN (…)``, ``field LIKE "pat*"``,
  ``field IS NULL`` / ``IS NOT NULL``, ``search(field, "text")``,
  ``startswith(field, "text")``, a bare ``"text"`` (searched in every text
  field), ``AND`` / ``OR`` / ``NOT`` and parentheses; values are strings
  (``"…"`` or ``'…'``), numbers, ``true``/``false``, ``date'2026-01-31'``, on
  either side of a comparison (``'Darcy' = nom``). Bounded per query (``Budget``).
- ``select``: ``*``, fields, ``count(*)``, ``count(f)``, ``sum``/``avg``/
  ``min``/``max(f)``, ``year(f)``/``month(f)``/``day(f)``, each with ``as alias``.
- ``group_by``: fields and ``year``/``month``/``day(f)``, with ``as alias``.
- ``order_by``: any select item or alias, ``asc``/``desc``.
- ``refine`` / ``exclude``: ``field:value`` (a date field matches by prefix:
  ``date:2026-03``; a moment by that year, month… in the asked time zone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from vigie.errors import VigieError
from vigie.opendata.explore_engine import quote


class ODSQLError(VigieError):
    status = 400
    error_code = "ODSQLError"


class RESTParameterError(VigieError):
    status = 400
    error_code = "InvalidRESTParameterError"


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<date>date'[^']*')
      | (?P<string>"(?:[^"\\]|\\.|"")*"|'(?:[^'\\]|\\.|'')*')
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<ident>`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*:])
    )""",
    re.VERBOSE,
)
# Deepest nesting of parentheses and NOTs: a reader's condition needs a few levels; an
# attacker's thousands would exhaust Python's stack (a 500) before DuckDB's own limit.
MAX_DEPTH = 32
# Most items a select, group_by or order_by may list: a table has a few dozen columns; the
# same field listed thousands of times made DuckDB plan for tens of seconds before the time
# limit, which only starts once a statement runs.
MAX_ITEMS = 100
BIGINT_MAX = 2**63 - 1
# What one query may ask of every row it reads, all its ``where`` together: a bare "text" is a
# case-insensitive match in every text field (1,000 of them on six text fields ran 9 s under
# load), ``search``/``startswith``/``LIKE`` one match each; IN lists and refine/exclude cost a
# comparison per value. A reader's query needs a handful; these refuse an attacker's thousands
# with a 400 naming the limit, before DuckDB spends the time limit on them.
MAX_SEARCHES = 10
MAX_MATCHES = 100
MAX_VALUES = 1_000
MAX_FACETS = 100
KEYWORDS = {"and", "or", "not", "in", "like", "is", "null", "true", "false", "as", "asc", "desc"}
AGGREGATES = {"count", "sum", "avg", "min", "max"}
DATE_PARTS = {"year", "month", "day"}


@dataclass
class Budget:
    """What the conditions of one query have used of the limits above."""

    searches: int = 0
    matches: int = 0
    values: int = 0

    def search(self, param: str, fields: int) -> None:
        self.searches += 1
        if self.searches > MAX_SEARCHES:
            raise ODSQLError(
                f"{param}: more than {MAX_SEARCHES} bare text searches in one query "
                f"(each is searched in every text field)"
            )
        self.match(param, fields)

    def match(self, param: str, n: int = 1) -> None:
        self.matches += n
        if self.matches > MAX_MATCHES:
            raise ODSQLError(
                f"{param}: more than {MAX_MATCHES} text matches in one query (a bare text search "
                f"counts one per text field, search(), startswith() and LIKE one each)"
            )

    def value(self, param: str) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise ODSQLError(f"{param}: more than {MAX_VALUES} values in the IN lists of one query")


@dataclass
class Tok:
    kind: str
    text: str
    value: Any = None


def tokenize(text: str, param: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ODSQLError(f"{param}: cannot read {text[pos : pos + 20]!r} (position {pos + 1})")
        pos = m.end()
        kind = m.lastgroup or ""
        raw = m.group(kind)
        if kind == "string":
            q = raw[0]
            body = raw[1:-1].replace(q + q, q)
            out.append(Tok("string", raw, re.sub(r"\\(.)", r"\1", body)))
        elif kind == "date":
            try:
                datetime.fromisoformat(raw[5:-1])
            except ValueError:
                raise ODSQLError(f"{param}: {raw} is not a date (date'YYYY-MM-DD' or with a time)") from None
            out.append(Tok("date", raw, raw[5:-1]))
        elif kind == "number":
            try:
                value = float(raw) if any(c in raw for c in ".eE") else int(raw)
            except ValueError:  # past Python's 4,300 digits for an int
                raise ODSQLError(f"{param}: the number at position {m.start(kind) + 1} is too long") from None
            out.append(Tok("number", raw, value))
        elif kind == "ident":
            name = raw[1:-1] if raw.startswith("`") else raw
            low = name.lower()
            out.append(Tok("kw" if low in KEYWORDS and not raw.startswith("`") else "ident", name, low))
        else:
            out.append(Tok(kind, raw))
    return out


@dataclass
class Columns:
    """The release's columns: name -> Arrow/DuckDB type family (text, number, bool, time)."""

    types: dict[str, str]
    # The time fields holding moments (timestamps), not days: refined in the asked time zone.
    moments: frozenset[str] = frozenset()

    def field(self, name: str, param: str) -> str:
        if name not in self.types:
            known = ", ".join(sorted(self.types))
            raise ODSQLError(f"{param}: unknown field {name!r} (fields: {known})")
        return quote(name)

    def text_fields(self) -> list[str]:
        return [n for n, t in self.types.items() if t == "text"]


class _Parser:
    def __init__(
        self, text: str, param: str, cols: Columns, params: list[Any], budget: Budget | None = None
    ) -> None:
        self.toks = tokenize(text, param)
        self.budget = budget or Budget()
        self.i = 0
        self.param = param
        self.cols = cols
        self.params = params
        self.depth = 0

    # -- helpers
    def peek(self, offset: int = 0) -> Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise ODSQLError(f"{self.param}: unexpected end of expression")
        self.i += 1
        return tok

    def accept(self, kind: str, value: str | None = None) -> Tok | None:
        tok = self.peek()
        if tok is not None and tok.kind == kind and (value is None or (tok.value or tok.text) == value):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, value: str | None = None) -> Tok:
        tok = self.accept(kind, value)
        if tok is None:
            got = self.peek()
            raise ODSQLError(
                f"{self.param}: expected {value or kind}, got {got.text if got else 'the end'!r}"
            )
        return tok

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return "?"

    def done(self) -> None:
        if self.peek() is not None:
            raise ODSQLError(f"{self.param}: unexpected {self.peek().text!r}")  # type: ignore[union-attr]

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ODSQLError(f"{self.param}: conditions nested more than {MAX_DEPTH} levels deep")

    # -- where
    # A chain of ANDs (ORs) is written flat, one level: nested pairs would make 1,000 conditions
    # 1,000 levels deep, past DuckDB's limit on an expression's depth.
    def expr(self) -> str:
        terms = [self.conj()]
        while self.accept("kw", "or"):
            terms.append(self.conj())
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"

    def conj(self) -> str:
        terms = [self.neg()]
        while self.accept("kw", "and"):
            terms.append(self.neg())
        return terms[0] if len(terms) == 1 else "(" + " AND ".join(terms) + ")"

    def neg(self) -> str:
        if self.accept("kw", "not"):
            self.deeper()
            inner = self.neg()
            self.depth -= 1
            return f"(NOT {inner})"
        return self.primary()

    def literal(self) -> str:
        tok = self.take()
        if tok.kind in ("string", "number"):
            return self.bind(tok.value)
        if tok.kind == "date":
            return f"CAST({self.bind(tok.value)} AS TIMESTAMP)"
        if tok.kind == "kw" and tok.value in ("true", "false"):
            return "TRUE" if tok.value == "true" else "FALSE"
        raise ODSQLError(f"{self.param}: expected a value, got {tok.text!r}")

    def operand(self) -> str:
        tok = self.peek()
        if tok is not None and tok.kind == "ident":
            if (nxt := self.peek(1)) is not None and nxt.kind == "punct" and nxt.text == "(":
                return self.call_value()
            self.i += 1
            return self.cols.field(tok.text, self.param)
        return self.literal()

    def call_value(self) -> str:
        name = self.take().text.lower()
        if name not in DATE_PARTS:
            raise ODSQLError(f"{self.param}: function {name}() is not supported here")
        self.expect("punct", "(")
        inner = self.cols.field(self.expect("ident").text, self.param)
        self.expect("punct", ")")
        return f"{name}({inner})"

    def primary(self) -> str:
        if self.accept("punct", "("):
            self.deeper()
            inner = self.expr()
            self.expect("punct", ")")
            self.depth -= 1
            return f"({inner})"
        tok = self.peek()
        nxt = self.peek(1)
        if (
            tok is not None
            and tok.kind == "string"
            and nxt is not None
            and nxt.kind == "kw"
            and nxt.value in ("in", "like", "is", "not")
        ):
            # Opendatasoft takes a value on either side of a comparison, not before these.
            raise ODSQLError(
                f"{self.param}: {nxt.text.upper()} needs a field on its left, got the value {tok.text!r}"
                f" (write field {nxt.text.upper()} …)"
            )
        if tok is not None and tok.kind == "string" and not (nxt is not None and nxt.kind == "op"):
            # A string alone is a text search; followed by a comparison it is a value ('x' = field).
            self.i += 1
            self.budget.search(self.param, len(self.cols.text_fields()))
            like = self.bind(f"%{tok.value}%")
            texts = [f"CAST({quote(n)} AS VARCHAR) ILIKE {like}" for n in self.cols.text_fields()]
            for _ in texts[1:]:
                self.params.append(f"%{tok.value}%")
            return "(" + " OR ".join(texts) + ")" if texts else "FALSE"
        if (
            tok is not None
            and tok.kind == "ident"
            and tok.text.lower() in ("search", "startswith")
            and (nxt := self.peek(1)) is not None
            and nxt.text == "("
        ):
            fn = self.take().text.lower()
            self.expect("punct", "(")
            target = self.cols.field(self.expect("ident").text, self.param)
            self.expect("punct", ",")
            text = self.expect("string").value
            self.expect("punct", ")")
            self.budget.match(self.param)
            pattern = f"%{text}%" if fn == "search" else f"{text}%"
            return f"(CAST({target} AS VARCHAR) ILIKE {self.bind(pattern)})"
        left = self.operand()
        if self.accept("kw", "is"):
            negated = bool(self.accept("kw", "not"))
            self.expect("kw", "null")
            return f"({left} IS {'NOT ' if negated else ''}NULL)"
        negated = bool(self.accept("kw", "not"))
        if self.accept("kw", "in"):
            self.expect("punct", "(")
            self.budget.value(self.param)
            values = [self.literal()]
            while self.accept("punct", ","):
                self.budget.value(self.param)
                values.append(self.literal())
            self.expect("punct", ")")
            return f"({left} {'NOT ' if negated else ''}IN ({', '.join(values)}))"
        if self.accept("kw", "like"):
            self.budget.match(self.param)
            pattern = self.expect("string").value.replace("%", "\\%").replace("_", "\\_").replace("*", "%")
            return (
                f"(CAST({left} AS VARCHAR) {'NOT ' if negated else ''}LIKE {self.bind(pattern)} ESCAPE '\\')"
            )
        if negated:
            raise ODSQLError(f"{self.param}: NOT goes before a condition, or before IN / LIKE")
        op = self.accept("op")
        if op is None:
            last = self.toks[self.i - 1]
            # A boolean field on its own; any other field alone was compared to TRUE, which
            # DuckDB casts (a number to 1): the answer to a question nobody asked.
            if last.kind == "ident" and self.cols.types.get(last.text) == "bool" and left == quote(last.text):
                return f"({left} = TRUE)"
            raise ODSQLError(f"{self.param}: expected a comparison after {self.toks[self.i - 1].text!r}")
        sql_op = "!=" if op.text == "<>" else op.text
        return f"({left} {sql_op} {self.operand()})"

    # -- select / group_by / order_by items
    def item(self, allow_aggregates: bool) -> tuple[str, str]:
        """One item: (SQL, the name of its column in the answer)."""
        tok = self.take()
        if tok.kind == "punct" and tok.text == "*":
            return "*", "*"
        if tok.kind != "ident":
            raise ODSQLError(f"{self.param}: expected a field or a function, got {tok.text!r}")
        if self.accept("punct", "("):
            fn = tok.text.lower()
            if fn in AGGREGATES:
                if not allow_aggregates:
                    raise ODSQLError(f"{self.param}: {fn}() is not allowed here")
                if fn == "count" and self.accept("punct", "*"):
                    arg, label = "*", "*"
                else:
                    label = self.expect("ident").text
                    arg = self.cols.field(label, self.param)
                self.expect("punct", ")")
                return f"{fn}({arg})", f"{fn}({label})"
            if fn in DATE_PARTS:
                label = self.expect("ident").text
                inner = self.cols.field(label, self.param)
                self.expect("punct", ")")
                return f"{fn}({inner})", f"{fn}({label})"
            raise ODSQLError(f"{self.param}: function {fn}() is not supported (see docs/opendata-api.md)")
        return self.cols.field(tok.text, self.param), tok.text

    def items(self, allow_aggregates: bool) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        while True:
            if len(out) == MAX_ITEMS:
                raise ODSQLError(f"{self.param}: more than {MAX_ITEMS} items")
            sql, label = self.item(allow_aggregates)
            if self.accept("kw", "as"):
                label = self.expect("ident").text
            out.append((sql, label))
            if not self.accept("punct", ","):
                break
        self.done()
        return out


def where_sql(text: str, cols: Columns, params: list[Any], budget: Budget | None = None) -> str:
    p = _Parser(text, "where", cols, params, budget)
    sql = p.expr()
    p.done()
    return sql


def select_items(text: str, cols: Columns) -> list[tuple[str, str]]:
    return _Parser(text, "select", cols, []).items(True)


def group_items(text: str, cols: Columns) -> list[tuple[str, str]]:
    return _Parser(text, "group_by", cols, []).items(False)


def order_items(text: str, cols: Columns, aliases: dict[str, str]) -> list[str]:
    out = []
    parts = _split_top(text)
    if len(parts) > MAX_ITEMS:
        raise ODSQLError(f"order_by: more than {MAX_ITEMS} items")
    for part in parts:
        words = part.strip().rsplit(None, 1)
        direction = "ASC"
        if len(words) == 2 and words[1].lower() in ("asc", "desc"):
            direction, part = words[1].upper(), words[0]
        name = part.strip()
        if name in aliases:
            out.append(f"{quote(name)} {direction}")
            continue
        sql, _ = _Parser(name, "order_by", cols, []).items(True)[0]
        out.append(f"{sql} {direction}")
    return out


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses and quotes."""
    parts, depth, current, quote_char = [], 0, "", ""
    for ch in text:
        if quote_char:
            quote_char = "" if ch == quote_char else quote_char
        elif ch in "\"'":
            quote_char = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    if current.strip():
        parts.append(current)
    return parts


def facet_value(value: str, family: str | None) -> str:
    """A ``refine``/``exclude`` value as Opendatasoft reads it: quoted or not (``status:"done"``, as
    its docs write them, is ``status:done``), a date's parts joined by ``/`` as its date facets
    name them (``2026/03``) or by ``-``."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    if family == "time":
        value = value.replace("/", "-")
    return value


_MOMENT = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T](\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?)?)?")


def _next(start: datetime, parts: int) -> datetime:
    """The start of the next year, month, day, hour, minute or second after ``start``."""
    if parts == 1:
        return start.replace(year=start.year + 1)
    if parts == 2:
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start + timedelta(**{("days", "hours", "minutes", "seconds")[parts - 3]: 1})


def moment_range(value: str, tz: ZoneInfo, param: str) -> tuple[datetime, datetime]:
    """The UTC moments [start, end) of a date refine (``2024``, ``2024-05``, ``2024-05-31``, down to
    the second) read in ``tz``: as Opendatasoft's date facets, a moment belongs to the day it is in
    the asked time zone (23:30 UTC on 31 May is 1 June in Paris). Aware: compared as instants,
    whatever the time zone of the DuckDB session (exports' is the server's)."""
    m = _MOMENT.fullmatch(value.strip())
    if m is None:
        raise RESTParameterError(
            f"{param}: a date field takes a year, month, day, hour, minute or second "
            f"(2024, 2024/05, 2024/05/31, 2024-05-31 18:30), got {value[:40]!r}"
        )
    numbers = [int(g) for g in m.groups() if g is not None]

    def utc(local: datetime) -> datetime:
        return local.replace(tzinfo=tz).astimezone(UTC)

    try:
        year, month, day, hour, minute, second = numbers + [0, 1, 1, 0, 0, 0][len(numbers) :]
        start = datetime(year, month, day, hour, minute, second)
        return utc(start), utc(_next(start, len(numbers)))
    except (ValueError, OverflowError):  # no such day, or past the years Python holds
        raise RESTParameterError(f"{param}: {value[:40]!r} is not a date Vigie can read") from None


def facet_condition(
    spec: str, cols: Columns, params: list[Any], param: str, tz: ZoneInfo | None = None
) -> str:
    """``field:value`` of ``refine``/``exclude``: equality; for a date field, a prefix, and for a
    moment the span of that prefix in the asked time zone ``tz``."""
    name, sep, value = spec.partition(":")
    if not sep:
        raise RESTParameterError(f"{param} must be field:value, got {spec!r}")
    column = cols.field(name.strip(), param)
    value = facet_value(value, cols.types[name.strip()])
    if name.strip() in cols.moments:
        start, end = moment_range(value, tz or ZoneInfo("UTC"), param)
        params += [start, end]
        return f"({column} >= CAST(? AS TIMESTAMPTZ) AND {column} < CAST(? AS TIMESTAMPTZ))"
    params.append(value if cols.types[name.strip()] != "time" else value + "%")
    if cols.types[name.strip()] == "time":
        return f"(CAST({column} AS VARCHAR) LIKE ?)"
    if cols.types[name.strip()] == "text":
        return f"({column} = ?)"  # no cast: a text column, or its ENUM, compares as it is stored
    return f"(CAST({column} AS VARCHAR) = ?)"


@dataclass
class Query:
    """A records or exports query, checked, as one DuckDB statement with its parameters."""

    sql: str
    params: list[Any] = field(default_factory=list)
    count_sql: str = ""
    count_params: list[Any] = field(default_factory=list)
    # Groups or aggregates: the answer is computed over every matching row, whatever the page.
    aggregated: bool = False
    # Rows matching one equality on one field (``where f = value``, ``refine f:value``): their
    # number is that value's in the field's counts (the same as ``count_sql``'s, see ``equality``).
    facet: Facet | None = None
    table: str = ""
    # Rows (no groups, no aggregates) ordered by one field of the release: (field, descending),
    # and the statement without its order and page, whose rows come in the table's stored order.
    order: tuple[str, bool] | None = None
    rows_sql: str = ""
    # Rows with no ORDER BY at all: they come in the table's stored order, as ``rows_sql``'s.
    unordered: bool = False
    # ``rows_sql``'s parts: its select list and its WHERE condition ("" for none), to read the
    # same rows from another relation (``explore_records`` starts a scan at a row's position).
    columns: list[str] = field(default_factory=list)
    condition: str = ""
    # The parsed parts of a ``group_by`` (``explore_cube`` answers its counts from a smaller table):
    # its group items and the other items of its select as (SQL, label), its ORDER BY items, and
    # the one equality its conditions are (``equality``), whatever the statement aggregates.
    groups: list[tuple[str, str]] = field(default_factory=list)
    measures: list[tuple[str, str]] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    equality: Facet | None = None


@dataclass(frozen=True)
class Facet:
    """``field = value``: a text field and a text, or a number field and a number (as a double)."""

    field: str
    value: str | float


def equality(where: list[str], refine: list[str], exclude: list[str], cols: Columns) -> Facet | None:
    """The one equality these conditions are, if they are one: ``refine`` on a text field, or a
    ``where`` comparing a text field to a text or a number field to a number (other mixes are left
    to DuckDB's casts; numbers past 2**53, which a double does not hold exactly, too)."""
    texts = [w for w in where if w.strip()]
    if exclude or len(texts) + len(refine) != 1:
        return None
    if refine:
        name, sep, value = refine[0].partition(":")
        name = name.strip()
        return Facet(name, facet_value(value, "text")) if sep and cols.types.get(name) == "text" else None
    toks = tokenize(texts[0], "where")
    if len(toks) != 3 or toks[1].kind != "op" or toks[1].text != "=":
        return None
    field_tok, value_tok = (toks[0], toks[2]) if toks[0].kind == "ident" else (toks[2], toks[0])
    family = cols.types.get(field_tok.text) if field_tok.kind == "ident" else None
    if family == "text" and value_tok.kind == "string":
        return Facet(field_tok.text, value_tok.value)
    if family == "number" and value_tok.kind == "number" and abs(value_tok.value) < 2**53:
        return Facet(field_tok.text, float(value_tok.value))
    return None


def one_field_order(orders: list[str], cols: Columns, aliases: dict[str, str]) -> tuple[str, bool] | None:
    """(field, descending) when ``orders`` is one field of the release, not an alias of another."""
    if len(orders) != 1:
        return None
    sql, _, direction = orders[0].rpartition(" ")
    name = next((n for n in cols.types if quote(n) == sql), None)
    if name is None or aliases.get(name, sql) != sql:
        return None
    return name, direction == "DESC"


def build(
    table: str,
    cols: Columns,
    *,
    select: str = "",
    where: list[str] | None = None,
    group_by: str = "",
    order_by: str = "",
    refine: list[str] | None = None,
    exclude: list[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
    tz: ZoneInfo | None = None,
) -> Query:
    for name, value in (("limit", limit), ("offset", offset)):
        if value is not None and not 0 <= value <= BIGINT_MAX:  # DuckDB's LIMIT is a BIGINT
            raise RESTParameterError(f"{name} must be between 0 and {BIGINT_MAX}, got {value}")
    params: list[Any] = []
    if len(refine or []) + len(exclude or []) > MAX_FACETS:
        raise RESTParameterError(f"more than {MAX_FACETS} refine and exclude parameters in one query")
    budget = Budget()
    conds = [where_sql(w, cols, params, budget) for w in (where or []) if w.strip()]
    conds += [facet_condition(r, cols, params, "refine", tz) for r in (refine or [])]
    conds += [f"(NOT {facet_condition(e, cols, params, 'exclude', tz)})" for e in (exclude or [])]
    items = select_items(select, cols) if select.strip() else [("*", "*")]
    groups = group_items(group_by, cols) if group_by.strip() else []
    aliases = {label: sql for sql, label in items if label != "*"}
    aliases.update({label: sql for sql, label in groups})
    if groups:
        columns = [f"{sql} AS {quote(label)}" for sql, label in groups]
        columns += [
            f"{sql} AS {quote(label)}"
            for sql, label in items
            if sql != "*" and label not in dict((lbl, s) for s, lbl in groups)
        ]
    else:
        columns = ["*" if sql == "*" else f"{sql} AS {quote(label)}" for sql, label in items]
    has_aggregate = any(sql.split("(")[0] in AGGREGATES for sql, _ in items)
    base = f"SELECT {', '.join(columns)} FROM {quote(table)}"  # noqa: S608 - parsed items, quoted names
    if conds:
        base += " WHERE " + " AND ".join(conds)
    if groups:
        base += " GROUP BY " + ", ".join(sql for sql, _ in groups)
    elif has_aggregate and any(sql != "*" and sql.split("(")[0] not in AGGREGATES for sql, _ in items):
        raise ODSQLError("select: mixing aggregates and fields needs a group_by on those fields")
    orders = order_items(order_by, cols, aliases) if order_by.strip() else []
    sql = base + (" ORDER BY " + ", ".join(orders) if orders else "")
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    elif offset:
        sql += f" OFFSET {int(offset)}"
    if groups or has_aggregate:
        count_sql = f"SELECT count(*) FROM ({base})"  # noqa: S608 - built above from parsed parts
    else:
        # Rows, not groups: counted on the table itself (DuckDB read every column through ``SELECT *``).
        count_sql = f"SELECT count(*) FROM {quote(table)}"  # noqa: S608 - quoted name
        if conds:
            count_sql += " WHERE " + " AND ".join(conds)
    aggregated = bool(groups or has_aggregate)
    one = equality(where or [], refine or [], exclude or [], cols)
    group_labels = {label for _, label in groups}
    return Query(
        sql,
        list(params),
        count_sql,
        list(params),
        aggregated=aggregated,
        facet=None if aggregated else one,
        table=table,
        order=None if aggregated else one_field_order(orders, cols, aliases),
        rows_sql=base,
        unordered=not (aggregated or orders),
        columns=columns,
        condition=" AND ".join(conds),
        groups=groups,
        measures=[(s, label) for s, label in items if s != "*" and label not in group_labels],
        orders=orders,
        equality=one,
    )


__all__ = ["Columns", "Facet", "ODSQLError", "Query", "RESTParameterError", "build", "equality"]
