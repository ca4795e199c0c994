"""Settings, declared once as data.

Every setting is a field of :class:`Settings` with a default and a description;
``docs/settings.md`` is generated from these fields (``vigie settings-doc``)
and a meta-test keeps the two in step.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that ship in the source tree and therefore protect nothing.
KNOWN_DEFAULT_SECRETS = frozenset({"", "change-me", "dev-secret-change-me", "secret"})
DEV_SECRET = "dev-secret-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIE_", extra="ignore")

    environment: str = Field(
        "development",
        description="`development`, `test` or `production`. Outside development and test, "
        "secrets with known default values are refused at start-up.",
    )
    data_dir: Path = Field(
        Path("./var"),
        description="Directory for the embedded database, photos and outbox.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL. Empty means a SQLite file `vigie.db` under the "
        "data directory. Example: `postgresql+psycopg://user@127.0.0.1/vigie`.",
    )
    secret_key: str = Field(
        DEV_SECRET,
        description="Secret used to sign session cookies and CSRF tokens.",
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public URL of this instance, used in links sent to residents "
        "and in Open311 discovery.",
    )
    host: str = Field("127.0.0.1", description="Address `vigie serve` binds to.")
    port: int = Field(8000, description="Port `vigie serve` listens on.")
    workers: int = Field(1, description="Number of API worker processes for `vigie serve`.")
    city: str = Field(
        "dijon",
        description="City profile: the name of a bundled profile (`dijon`, "
        "`sanfrancisco`) or a path to a `city.yaml`.",
    )
    event_bus: str = Field(
        "auto",
        description="`memory` (one process), `postgres` (LISTEN/NOTIFY, reaches every "
        "worker) or `auto` (postgres when the database is PostgreSQL).",
    )
    photo_storage: str = Field(
        "local",
        description="Photo storage backend. `local` stores files under `<data_dir>/photos`.",
    )
    max_body_bytes: int = Field(
        56 * 1024 * 1024,
        description="Largest request body accepted; larger bodies get 413 before being read.",
    )
    max_photo_bytes: int = Field(10 * 1024 * 1024, description="Largest photo accepted.")
    max_photos_per_report: int = Field(5, description="Most photos on one report.")
    max_photo_pixels: int = Field(
        40_000_000,
        description="Largest decoded image (pixels); bigger images are refused as "
        "decompression bombs.",
    )
    anonymous_rate_limit: int = Field(
        30,
        description="Anonymous report submissions allowed per client address per "
        "minute (0 disables the limit).",
    )
    token_ttl_hours: int = Field(12, description="Lifetime of agent sessions and bearer tokens.")
    sse_keepalive_seconds: float = Field(
        15.0, description="Interval of keep-alive comments on Server-Sent Event streams."
    )
    log_level: str = Field("info", description="Log level.")
    background_services: bool = Field(
        True,
        description="Run background services (notification sender, MQTT ingest, "
        "simulator, alarm timers) inside the web process.",
    )

    # --- web pages (issue 3) ------------------------------------------------
    # (add web page settings below this line)
    tile_url: str = Field(
        "",
        description="Map tile URL template, e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png` "
        "(its host is added to the Content-Security-Policy). Empty: maps use a basemap "
        "drawn from the zones' boundaries, which also works offline.",
    )
    tile_attribution: str = Field(
        "", description="Attribution shown on maps for the tile source (HTML allowed)."
    )

    # --- notifications --------------------------------------------------------
    # (add notification settings below this line)

    # --- assets ---------------------------------------------------------------
    # (add asset settings below this line)

    # --- telemetry and MQTT --------------------------------------------------
    # (add telemetry settings below this line)

    # --- alarms ---------------------------------------------------------------
    # (add alarm settings below this line)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment not in ("development", "test") and (
            self.secret_key in KNOWN_DEFAULT_SECRETS or len(self.secret_key) < 16
        ):
            raise ValueError(
                "VIGIE_SECRET_KEY must be set to a private value of at least 16 "
                f"characters when VIGIE_ENVIRONMENT={self.environment}"
            )
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vigie.db').as_posix()}"

    @property
    def is_postgres(self) -> bool:
        return self.resolved_database_url.startswith("postgresql")


def settings_markdown() -> str:
    """Render the settings reference (docs/settings.md) from the declaration."""
    lines = [
        "# Settings",
        "",
        "Generated from `src/vigie/settings.py` by `vigie settings-doc`; do not edit.",
        "Every setting is read from the environment with the prefix `VIGIE_`.",
        "",
        "| variable | default | description |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = f"`{default}`" if default not in ("", None) else "(empty)"
        if name == "secret_key":
            shown = "development value (refused outside development)"
        lines.append(f"| `VIGIE_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines) + "\n"
