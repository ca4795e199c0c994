"""API keys revoked are refused at once by every worker: a reuser's open data key and an
Open311 key, two real `vigie serve` workers on the test's database (SQLite or PostgreSQL), the
revocation made by a third process (this one, or the CLI), as another machine would.

Each worker used to keep a key it had checked (10 s for a reuser key, 60 s for an Open311
key), so right after the revocation the workers that had seen the key still took it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.limits.test_limits_workers import serve
from tests.open311.helpers import CENTRE, POTHOLE, V2, required_attributes
from vigie.accounts.actions import do_create_api_key, list_api_keys
from vigie.accounts.domain import SYSTEM
from vigie.reusers.actions import do_issue_key, do_revoke_key

pytestmark = pytest.mark.slow

CATALOG = "/api/explore/v2.1/catalog/datasets"
ROUNDS = 24  # requests each way, each on a new connection: the two workers take turns accepting


def codes(call: Callable[[int], int]) -> list[int]:
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(call, range(ROUNDS)))


def test_accounts_keys_revoked_are_refused_at_once_by_every_worker(vigie, database_url, tmp_path):
    key_id, reuser_key = do_issue_key(vigie, SYSTEM, "partenaire@bureau.example", "Étude")
    other_id, _ = do_issue_key(vigie, SYSTEM, "autre@bureau.example", "Autre")
    open311_key = do_create_api_key(vigie.db, "fixmystreet")
    form = {"service_code": POTHOLE, **CENTRE, **required_attributes(vigie, POTHOLE), "description": "Trou"}
    proc, base = serve(database_url, tmp_path / "served")
    try:

        def explore(_: int) -> int:
            headers = {"Authorization": f"Apikey {reuser_key}"}
            return httpx.get(base + CATALOG, headers=headers, timeout=60).status_code

        def open311(_: int) -> int:
            body = {**form, "api_key": open311_key}
            return httpx.post(f"{base}{V2}/requests.json", data=body, timeout=60).status_code

        assert set(codes(explore)) == {200}
        assert set(codes(open311)) == {200}  # Open311 answers a report made with 200
        # Revoking another key changes nothing for this one.
        do_revoke_key(vigie, SYSTEM, other_id, "fin du projet")
        assert set(codes(explore)) == {200}

        do_revoke_key(vigie, SYSTEM, key_id, "abus")
        assert set(codes(explore)) == {401}
        (listed,) = list_api_keys(vigie.db)
        revoked = subprocess.run(  # noqa: S603 - our own CLI, another process on the same database
            [sys.executable, "-m", "vigie.cli", "apikey", "revoke", str(listed["id"])],
            env={
                **os.environ,
                "VIGIE_DATABASE_URL": database_url,
                "VIGIE_DATA_DIR": str(tmp_path / "cli"),
                "VIGIE_ENVIRONMENT": "test",
            },
            capture_output=True,
            text=True,
            check=False,
        )
        assert revoked.returncode == 0, revoked.stderr
        assert set(codes(open311)) == {403}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
