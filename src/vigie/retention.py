"""Retention periods, one per kind of data, enforced in one place (docs/retention.md).

Each context expires its own data (``reports.retention``: residents' contact data
after their report closed; ``opendata.retention``: superseded release files and
uploads, and uploads never published; ``residents.signin``: expired sign-in links and sessions); this module
runs them together, daily in the web app (in the process holding the ingest lock)
and from ``vigie retention run``. The outbox and the
telemetry apply their own periods as they run (``VIGIE_OUTBOX_RETENTION_DAYS``,
``VIGIE_TELEMETRY_*_RETENTION_DAYS``).
"""

from __future__ import annotations

from vigie.opendata.retention import do_expire_releases, do_expire_unpublished_uploads
from vigie.periodic import LeaderJob
from vigie.reports.retention import do_expire_contacts
from vigie.residents.signin import do_expire_sign_ins
from vigie.runtime import Vigie

DAY = 86_400.0


def run_retention(v: Vigie) -> dict[str, dict[str, int]]:
    return {
        "reporter_contacts": do_expire_contacts(v, v.settings.retention_contact_days),
        "opendata_files": do_expire_releases(v, v.settings.retention_release_days),
        "opendata_unpublished_uploads": do_expire_unpublished_uploads(
            v, v.settings.retention_unpublished_upload_days
        ),
        "resident_sign_ins": do_expire_sign_ins(v),
    }


def make_background(v: Vigie) -> list[LeaderJob]:
    return [LeaderJob(v, "retention", run_retention, DAY, log_result=True)]
