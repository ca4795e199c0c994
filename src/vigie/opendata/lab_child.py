"""The data lab's query process: runs lab queries one at a time, away from the web process.

Started by ``lab_worker`` as ``python -m vigie.opendata.lab_child MEMORY_MB PARENT_PID``, it
reads requests on its standard input and writes answers on its standard output
(``frame``/``read``), and ends at the end of its input, or within a second of its web process's
death when that comes during a query (``_watch_parent``: a query could otherwise run on for
ever, with nobody left to kill it at its time limit). It imports DuckDB, pyarrow, fsspec and
orjson, not the app.

Why a process of its own: what DuckDB hands over (Arrow batches, then Python rows) is allocated
outside its ``memory_limit`` and computed where its interrupt does not reach (a list of 20
million values grew the web process by 1.8 GB; a list-heavy query ran 21 s past a 10 s limit).
Here that memory is bounded by the process's own hard limit (``RLIMIT_DATA``, set once the
libraries are loaded), and the web process kills it (SIGKILL) at the time limit.
``RLIMIT_DATA`` bounds what matters here on Linux only: elsewhere (macOS ignores it for the
memory its allocator maps) the process runs without it, and only DuckDB's ``memory_limit`` and
the time limit bound a query (``_limit_memory``, docs/opendata.md).

Each query gets a fresh locked DuckDB (``sandbox``). The releases are read through a file
system of their own (``lab://<dataset>.parquet``, an fsspec ``DirFileSystem`` that maps those
names, and only those, to the files) instead of their paths: DuckDB shows ``allowed_paths``
(``current_setting``, ``duckdb_settings()``, resolved to the real path), a view's SQL
(``duckdb_views()``) and some errors, and none of them may show where the server keeps its
files. DuckDB's home, extension and secret directories are set to a path that exists nowhere
for the same reason (their defaults are under the server's home directory).
"""

from __future__ import annotations

import os
import re
import resource
import struct
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

if TYPE_CHECKING:
    import duckdb

# A frame: its kind (b"R" an answer's JSON, b"E" an error's), whether the process ends after
# it (b"X") or not (b"-"), the length of the JSON that follows.
HEADER = struct.Struct(">ccI")
ANSWER, ERROR = b"R", b"E"
NOWHERE = "/nonexistent"
PROTOCOL = "lab"
UTC = ZoneInfo("UTC")
# Rows DuckDB hands over at a time: its vector size, so that the row cap stops the query early.
BATCH = 2048
# What the process may hold besides DuckDB's memory_limit: the Arrow batch being read (one row can
# be large), the Python rows of an answer (~10 bytes each byte of Arrow), its JSON.
MARGIN_MB = 256


def frame(kind: bytes, body: bytes, *, ending: bool = False) -> bytes:
    return HEADER.pack(kind, b"X" if ending else b"-", len(body)) + body


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


LINUX = sys.platform.startswith("linux")


def _vm_kb(field: str) -> int:
    """A field of /proc/self/status (``VmData``, ``VmRSS``) in kB. Without /proc (macOS): the
    process's peak resident size, what ``getrusage`` tells there (in bytes on macOS)."""
    if not LINUX:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _releases(files: dict[str, str]) -> Any:
    """A file system where ``<name>`` is ``files[name]`` and nothing else exists."""
    from fsspec.implementations.dirfs import DirFileSystem
    from fsspec.implementations.local import LocalFileSystem

    class Releases(DirFileSystem):  # type: ignore[misc]
        protocol = PROTOCOL
        cachable = False  # fsspec keeps instances by their arguments: one per query here

        def _join(self, path: Any) -> Any:
            if isinstance(path, str):
                name = self._strip_protocol(path)
                if name not in files:
                    raise FileNotFoundError(f"no release {name!r}")
                return files[name]
            if isinstance(path, dict):
                return {self._join(p): value for p, value in path.items()}
            return [self._join(p) for p in path]

        def _open(self, path: str, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
            if mode != "rb":
                raise PermissionError("the releases are read-only")
            return open(self._join(path), "rb")  # noqa: SIM115 - DuckDB closes it

        def _relpath(self, path: Any) -> Any:
            if isinstance(path, str):
                return names.get(path, "")
            return [self._relpath(p) for p in path]

    names = {real: name for name, real in files.items()}
    return Releases(path=NOWHERE, fs=LocalFileSystem())


def sandbox(views: dict[str, str], memory_mb: int) -> duckdb.DuckDBPyConnection:
    """A locked DuckDB where each ``views`` name reads its Parquet file, and nothing else."""
    import duckdb

    conn = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": 1,
            "memory_limit": f"{memory_mb}MB",
            # No spilling: past its memory a query is refused (DuckDB's default writes under .tmp).
            "temp_directory": "",
            "home_directory": NOWHERE,
            "extension_directory": NOWHERE,
            "secret_directory": NOWHERE,
            # A FROM naming a Python variable would otherwise read it (DuckDB's replacement scans).
            "python_enable_replacements": False,
        },
    )
    try:
        files = {f"{name}.parquet": path for name, path in views.items()}
        conn.register_filesystem(_releases(files))
        locations = {name: f"{PROTOCOL}://{name}.parquet" for name in views}
        listed = ", ".join(_literal(p) for p in locations.values())
        conn.execute(f"SET allowed_paths = [{listed}]")
        conn.execute("SET enable_external_access = false")
        for name, location in locations.items():
            conn.execute(f"CREATE VIEW {_quote(name)} AS SELECT * FROM read_parquet({_literal(location)})")  # noqa: S608 - quoted name, our own location
        conn.execute("SET lock_configuration = true")
    except BaseException:
        conn.close()
        raise
    return conn


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_ABSOLUTE = re.compile(r"(?<![\w:/.])/(?:[\w.@+-]+/)+[\w.@+-]*")


def clean(message: str, views: dict[str, str]) -> str:
    """``message``'s first line without server paths: a release's file becomes its dataset's
    name, any other absolute path (a library's, the user's own) "…"."""
    line = message.strip().splitlines()[0][:300] if message.strip() else "error"
    for name, path in sorted(views.items(), key=lambda item: -len(item[1])):
        line = line.replace(path, name)
    return _ABSOLUTE.sub("…", line)


def _error(kind: str, message: str) -> bytes:
    return orjson.dumps({"kind": kind, "message": message})


def _secrets(views: dict[str, str]) -> list[bytes]:
    """Server paths no answer may hold: the releases' files and their folders, the process's."""
    found = set()
    for path in views.values():
        found.add(path)
        found.add(os.path.dirname(path))
    found.update(p for p in (sys.prefix, os.path.expanduser("~"), os.getcwd()) if len(p) > 1)
    return [p.encode() for p in found if len(p) > 1]


def answer(request: dict[str, Any], memory_mb: int) -> tuple[bytes, bytes]:
    """Run one request: ``(ANSWER, its JSON)`` or ``(ERROR, {"kind", "message"})``."""
    import duckdb
    import pyarrow as pa

    from vigie.opendata.exports import json_default, plain

    views: dict[str, str] = request["views"]
    rows_max: int = request["rows"]
    bytes_max: int = request["max_bytes"]
    try:
        conn = sandbox(views, memory_mb)
    except duckdb.Error as exc:  # a release's file unreadable: the server's fault, said plainly
        return ERROR, _error("failed", clean(str(exc), views))
    try:
        wrapped = f"SELECT * FROM ({request['sql']}) LIMIT {rows_max + 1}"  # noqa: S608 - checked by the web process, run sandboxed
        reader = conn.sql(wrapped).to_arrow_reader(BATCH)
        columns = [{"name": f.name, "type": str(f.type)} for f in reader.schema]
        rows: list[list[Any]] = []
        held = 0
        for batch in reader:
            held += batch.nbytes
            if held > bytes_max:
                return ERROR, _error("bytes", "")
            rows.extend([plain(v, UTC) for v in row.values()] for row in batch.to_pylist())
            if len(rows) > rows_max:
                break
        answer = {"columns": columns, "rows": rows[:rows_max], "truncated": len(rows) > rows_max}
        body = orjson.dumps(answer, default=json_default)
    except duckdb.OutOfMemoryException:
        return ERROR, _error("memory", "")
    except MemoryError:
        return ERROR, _error("memory", "")
    except duckdb.ParserException as exc:
        return ERROR, _error("syntax", clean(str(exc), views))
    except duckdb.CatalogException as exc:  # a table, a function no published view provides
        return ERROR, _error("catalog", clean(str(exc), views))
    except duckdb.PermissionException as exc:  # a file, a setting, an extension: never the lab's
        return ERROR, _error("permission", clean(str(exc), views))
    except duckdb.BinderException as exc:  # a column, a type, a function's arguments
        return ERROR, _error("binder", clean(str(exc), views))
    except (duckdb.Error, pa.ArrowException) as exc:
        if "bad_alloc" in str(exc) or "memory" in str(exc).lower() and "allocat" in str(exc).lower():
            return ERROR, _error("memory", "")
        return ERROR, _error("failed", clean(str(exc), views))
    except (OverflowError, ValueError, TypeError) as exc:
        # A value Python or JSON cannot hold ('infinity'::TIMESTAMP, year 294247, a HUGEINT past
        # 64 bits): uncaught, it ended this process and the answer blamed the memory limit.
        why = clean(str(exc), views)
        return ERROR, _error("value", why)
    finally:
        conn.close()
    if len(body) > bytes_max:
        return ERROR, _error("bytes", "")
    if any(secret in body for secret in _secrets(views)):
        return ERROR, _error("path", "")
    return ANSWER, body


# What an allocation that failed says when it is not a MemoryError: pyarrow's allocator raises
# OSError ("Out of Memory Error: ArrowBuffer: failed to allocate …"), DuckDB's C++ bad_alloc.
_OUT_OF_MEMORY = re.compile(r"out of memory|failed to allocate|bad_alloc|cannot allocate", re.IGNORECASE)


def respond(body: bytes, memory_mb: int) -> tuple[bytes, bytes, bool]:
    """One request's frame: ``(kind, its JSON, whether the process ends after it)``.

    What :func:`answer` lets through is classified here rather than left to end the process
    with a traceback in the server's log: the memory limit met where answer() does not expect
    it (an allocator's OSError, a MemoryError) is answered as the memory limit, with nothing
    written to the log (the web process logs one line naming the limit, never the statement);
    the process ends after it, since memory may be left half taken. Anything else is a genuine
    internal error: its traceback goes to the log, the query is answered as failed."""
    try:
        kind, reply = answer(orjson.loads(body), memory_mb)
    except MemoryError:
        return ERROR, _error("memory", ""), True
    except Exception as exc:
        if _OUT_OF_MEMORY.search(str(exc)):
            return ERROR, _error("memory", ""), True
        traceback.print_exc()
        return ERROR, _error("failed", "an internal error of the lab (logged): try again"), True
    return kind, reply, False


def _limit_memory(memory_mb: int) -> None:
    """Cap the data this process may hold at what it holds now (libraries loaded and warmed up)
    plus DuckDB's memory limit and ``MARGIN_MB``: past it an allocation fails (DuckDB's
    ``OutOfMemoryException``, Python's ``MemoryError``) or the process dies, and the web process
    reports the memory limit either way.

    Linux only: ``RLIMIT_DATA`` counts every private mapping there (since Linux 4.7), while
    macOS's allocator maps memory the limit does not count, and a limit that bounds nothing
    would only look like one. Elsewhere nothing is set (no core dumps either way)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not LINUX:
        return
    held = _vm_kb("VmData") * 1024
    cap = held + (memory_mb + MARGIN_MB) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))


def _watch_parent(parent: int) -> None:
    """End this process once its web process is gone (it is then no longer its parent): between
    queries the end of input does it, but during one nothing else would."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _warm_up(memory_mb: int) -> None:
    """Load what a query loads (DuckDB, pyarrow, fsspec, its arenas) before the limit is set, so
    that the limit bounds what queries add."""
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    conn = sandbox({}, memory_mb)
    try:
        conn.sql("SELECT 1 AS n").to_arrow_table().to_pylist()
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    memory_mb, parent = int(argv[1]), int(argv[2])
    # Before the memory limit: the thread's stack is counted in what the process holds then.
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()
    _warm_up(memory_mb)
    # Past this much resident after an answer the process ends (the web process starts another
    # at the next query): allocators keep what a large answer took.
    recycle_kb = _vm_kb("VmRSS") + max(128, memory_mb // 2) * 1024
    _limit_memory(memory_mb)
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    while True:
        head = _read_exactly(stdin, 4)
        body = None if head is None else _read_exactly(stdin, struct.unpack(">I", head)[0])
        if body is None:
            return 0  # the web process closed its end: it stopped
        kind, reply, ending = respond(body, memory_mb)
        ending = ending or _vm_kb("VmRSS") > recycle_kb
        write_all(stdout, frame(kind, reply, ending=ending))
        if ending:
            return 0


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
