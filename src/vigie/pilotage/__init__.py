"""Control room (/pilotage) and field agents' view (/terrain).

* ``web.py``: pages (agents only; roles checked on every page).
* ``api.py``: JSON endpoints the pages need, under ``/api/v1/pilotage``.
* ``actions.py``: resolution with photos and hand back, one transaction each.
* ``stats.py``: supervisor dashboard figures (SQL aggregates, SQLite and PostgreSQL).
* ``context.py``: labels, catalogue and messages handed to the page scripts.

A field agent who cannot fix a report hands it back to the operators
(status ``acknowledged``, no agent, reason and note in the history); only an
operator rejects a report, because a rejection is a public decision with a
reason sent to the resident.
"""
