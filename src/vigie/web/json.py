"""JSON answers encoded with orjson.

FastAPI runs a returned dict through ``jsonable_encoder`` (a recursive walk in
Python) before encoding it; for list endpoints that return hundreds of records
a second, that walk costs more than the query. Handlers that return plain JSON
data (str/int/float/bool/None, lists, dicts, datetimes) answer with this instead.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
