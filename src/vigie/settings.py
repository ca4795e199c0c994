"""Settings, declared once as data.

Every setting is a field of :class:`Settings` with a default and a description;
``docs/settings.md`` is generated from these fields (``vigie settings-doc``)
and a meta-test keeps the two in step.
"""

from __future__ import annotations

from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
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
        "",
        description="Public URL of this instance, the only source of absolute links: e-mails "
        "to residents, Open311 discovery, paging links and photo URLs. Empty: "
        "`http://VIGIE_HOST:VIGIE_PORT` (127.0.0.1 when listening on every address). Set it "
        "whenever people reach Vigie under another name, port or scheme (a reverse proxy, "
        "https, a domain name).",
    )
    host: str = Field("127.0.0.1", description="Address `vigie serve` binds to.")
    port: int = Field(8000, description="Port `vigie serve` listens on.")
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses of the reverse proxies whose `X-Forwarded-For` "
        "and `X-Forwarded-Proto` headers `vigie serve` believes (the client's address for "
        "limits and audit). Empty: none, the headers are ignored. Links never come from "
        "request headers: they use `VIGIE_PUBLIC_BASE_URL`.",
    )
    workers: int = Field(1, description="Number of API worker processes for `vigie serve`.")
    sqlite_group_commit: bool = Field(
        True,
        description="SQLite: one writer thread commits concurrent writes together (one "
        "transaction; a unit that fails is replayed alone) instead of one commit per "
        "request; callers still return only once their write is committed.",
    )
    telemetry_switch_interval_ms: float = Field(
        1.0,
        gt=0,
        le=100,
        description="While the telemetry ingest runs in a process, how long one of its threads "
        "may hold Python's global lock while another waits for it (Python's default: 5 ms). "
        "The alarm writer gives the lock up at every database call and waited that long to "
        "get it back from the busy ingest: 1 ms brought the PostgreSQL telemetry-to-alarm "
        "p99 at 20,000 messages/s from up to 1.2-3.0 s to 0.19-0.56 s (docs/benchmarks.md).",
    )
    write_concurrency: int = Field(
        0,
        ge=0,
        le=64,
        description="Report submissions (Open311 and native API) are processed in at most "
        "this many threads per process; the others wait their turn in order. 0 chooses: "
        "32 on SQLite (waiting threads fill the group commits), 4 on PostgreSQL (more "
        "threads only queue on Python's global lock; see docs/benchmarks.md).",
    )
    read_concurrency: int = Field(
        2,
        ge=1,
        le=64,
        description="Database reads of list endpoints run in at most this many threads "
        "per process. About the number of cores: more threads only queue on Python's "
        "global lock and every request gets slower (see docs/benchmarks.md).",
    )
    city: str = Field(
        "dijon",
        description="City profile: the name of a bundled profile (`dijon`, "
        "`sanfrancisco`, `washingtondc`) or a path to a `city.yaml`.",
    )
    open_data_dir: Path = Field(
        Path("../shared/data"),
        description="Directory of the real open data the demo loads (the Dijon gazetteer from "
        "`dijon/opendata/`: shops' addresses, tram and bus stops). Missing files are skipped.",
    )
    geocoder: str = Field(
        "builtin",
        description="Address search and reverse geocoding: `builtin` (the gazetteer in Vigie's "
        "database, filled by `vigie import addresses`) or `ban` (a server with the BAN geocoder "
        "API at `geocoder_url`, e.g. the city's own addok). See docs/addresses.md.",
    )
    geocoder_url: str = Field(
        "",
        description="Base URL of the BAN-API geocoder when `geocoder` is `ban` "
        "(e.g. `http://127.0.0.1:7878`; `/search/` and `/reverse/` are appended).",
    )
    geocoder_timeout: float = Field(
        3.0, gt=0, le=60, description="Seconds to wait for the `ban` geocoder before giving up."
    )
    geocoder_cache_size: int = Field(
        4096,
        ge=0,
        le=1_000_000,
        description="Recent geocoder answers kept in memory for 5 minutes (0: none): people type "
        "the same first letters again and again.",
    )
    event_bus: Literal["auto", "memory", "postgres"] = Field(
        "auto",
        description="`memory` (one process), `postgres` (LISTEN/NOTIFY, reaches every "
        "worker) or `auto` (postgres when the database is PostgreSQL).",
    )
    photo_storage: Literal["local", "s3", "memory"] = Field(
        "local",
        description="Photo storage backend. `local` stores files under `<data_dir>/photos` "
        "(one machine); `s3` stores them in an S3-compatible object store (`VIGIE_S3_…`), "
        "which every node of a deployment shares; `memory` is for tests.",
    )
    photo_urls: Literal["proxy", "signed"] = Field(
        "proxy",
        description="How photos reach people: `proxy` streams every photo through Vigie; "
        "`signed` (with `s3` storage) redirects requests for a public report's photo to a "
        "short-lived signed URL of the object store, so photo traffic bypasses Vigie. The "
        "photos of non-public reports are always served through Vigie, after its access check.",
    )
    photo_url_ttl_seconds: int = Field(
        300, ge=10, le=86_400, description="Lifetime of a signed photo URL (`VIGIE_PHOTO_URLS=signed`)."
    )
    s3_bucket: str = Field("", description="Bucket of the object store (`VIGIE_PHOTO_STORAGE=s3`).")
    s3_endpoint_url: str = Field(
        "",
        description="URL of an S3-compatible server (MinIO, Garage, Ceph, a cloud provider's). "
        "Empty: AWS S3.",
    )
    s3_region: str = Field("us-east-1", description="Region of the bucket.")
    s3_access_key_id: str = Field(
        "", description="Access key. Empty: boto3's own chain (environment, instance role)."
    )
    s3_secret_access_key: str = Field("", description="Secret key matching `VIGIE_S3_ACCESS_KEY_ID`.")
    s3_prefix: str = Field(
        "vigie/",
        pattern=r"^([A-Za-z0-9._-]+/)*$",
        description="Prefix of every object Vigie writes (photos under `<prefix>photos/`), so "
        "one bucket can serve several cities.",
    )
    max_body_bytes: int = Field(
        56 * 1024 * 1024,
        description="Largest request body accepted; larger bodies get 413 before being read.",
    )
    max_photo_bytes: int = Field(10 * 1024 * 1024, description="Largest photo accepted.")
    max_photos_per_report: int = Field(5, description="Most photos on one report.")
    max_photo_pixels: int = Field(
        40_000_000,
        description="Largest decoded image (pixels); bigger images are refused as decompression bombs.",
    )
    anonymous_rate_limit: int = Field(
        30,
        description="Anonymous report submissions allowed per client address per "
        "minute (0 disables the limit).",
    )
    open311_key_rate_limit: int = Field(
        120,
        description="Open311 service requests (POST) allowed per API key per minute, across "
        "all workers (0 disables the limit).",
    )
    token_ttl_hours: int = Field(12, description="Lifetime of agent sessions and bearer tokens.")
    sse_keepalive_seconds: float = Field(
        15.0, description="Interval of keep-alive comments on Server-Sent Event streams."
    )
    log_level: str = Field("info", description="Log level.")
    log_format: Literal["text", "json"] = Field(
        "text",
        description="`text` for people at a terminal; `json` for a log pipeline: one JSON object "
        "per line with the time, level, logger, message and the request id (`X-Request-ID`), and "
        "one line per request with its route template, status and duration. Logs never carry "
        "personal data: no client address, no query string, no path with a token; e-mail "
        "addresses and phone numbers in messages are masked.",
    )
    metrics_token: str = Field(
        "",
        description="Bearer token that opens `/metrics` (Prometheus) from anywhere. Empty: only "
        "the addresses of `VIGIE_METRICS_NETWORKS` may read it.",
    )
    metrics_networks: str = Field(
        "127.0.0.1/32,::1/128",
        description="Comma-separated networks (CIDR) of the operators' monitoring, allowed to read "
        "`/metrics` without a token. Empty: the token only.",
    )
    background_services: bool = Field(
        True,
        description="Run background services (notification sender, MQTT ingest, "
        "simulator, alarm timers) inside the web process.",
    )

    # --- web pages (issue 3) ------------------------------------------------
    # (add web page settings below this line)
    basemap: str = Field(
        "",
        description="The map under every map of Vigie. A path to a PMTiles vector archive "
        "(`.pmtiles`, e.g. the city's extract of the Protomaps OpenStreetMap build, see "
        "docs/maps.md): Vigie serves it itself with HTTP range requests at "
        "`/api/v1/map/basemap.pmtiles` and pages draw it on a canvas. Or a raster tile URL "
        "template, e.g. `https://tile.example.org/{z}/{x}/{y}.png` (its host is added to the "
        "Content-Security-Policy: the only third party pages then load from). Empty: no "
        "basemap; maps draw Vigie's own context layers (the communes, public transport lines "
        "and stops) and never make a third-party request.",
    )
    basemap_attribution: str = Field(
        "",
        description="Attribution shown on maps for the basemap (HTML allowed). Empty: "
        "OpenStreetMap's contributors (and Protomaps for a PMTiles archive).",
    )
    transport_gtfs: str = Field(
        "",
        description="Public transport feed drawn as a context layer on every map without a "
        "basemap: a GTFS directory or `.zip` (routes, trips, shapes, stops), read and checked "
        "at start-up. Empty: no transport layer. `make run` uses Divia's feed from "
        "`../shared/data/dijon/divia_gtfs` when it is there.",
    )
    transport_stops: str = Field(
        "",
        description="Comma list of GeoJSON files of stops from the city's open data whose "
        "properties name the lines serving each stop (`lignes`, `ligne`, `lines`, `line` or "
        "`desserte`, separated by `;` or `,`): a GTFS stop of the same name is shown with them.",
    )
    transport_attribution: str = Field(
        "",
        description="Credit shown on maps for the transport layers (plain text). Empty: the "
        "feed's agency names (agency.txt).",
    )
    transport_realtime_url: str = Field(
        "",
        description="GTFS-Realtime TripUpdates feed (protobuf over HTTP) whose delays the next "
        "departures show. Empty: the replay of `transport_replay` when set, else timetable "
        "times only.",
    )
    transport_realtime_ttl: int = Field(
        30,
        ge=5,
        le=3600,
        description="Seconds the delays read from the real-time feed are kept before it is read again.",
    )
    transport_replay: str = Field(
        "",
        description="Demo: a recording of GTFS-Realtime observations (CSV: trip_id, stop_id, "
        "arrival/departure delay and time) replayed as the TripUpdates feed, its day shifted to "
        "today; also served at `/api/v1/transport/realtime/replay.pb`. `make run` uses Divia's "
        "recording of 31 October 2023. Empty: no replay.",
    )
    transport_car_parks: str = Field(
        "",
        description="YAML list of car parks (id, name, lat, lon, capacity and its source) shown "
        "with their occupancy on the transport page. Empty: no car parks. `make run` uses the "
        "Dijon profile's `car_parks.yaml`.",
    )
    transport_car_parks_replay: str = Field(
        "",
        description="Demo: a recording of car-park occupancy (CSV: datetime, parking, pourcentage) "
        "replayed on the same weekday and time of day as now. `make run` uses Dijon's DiviaPark "
        "recording of summer 2023.",
    )
    waste_rounds: str = Field(
        "",
        description="YAML of the waste collection rounds (streams, zones by commune or street, "
        "weekdays, holiday rule, exceptions; see docs/waste.md). Empty: no waste pages. `make run` "
        "uses the Dijon profile's `waste.yaml`, whose rounds are illustrative.",
    )
    resident_link_minutes: int = Field(
        15,
        ge=1,
        le=1440,
        description="Validity of a resident's one-time sign-in link sent by e-mail, in minutes.",
    )
    resident_session_days: int = Field(
        90,
        ge=1,
        le=400,
        description="Lifetime of a resident's session (their account on one device), in days.",
    )
    resident_link_stop_days: int = Field(
        30,
        ge=1,
        le=365,
        description="Days during which no message of a kind someone asks for with an address (a "
        "sign-in link, an erasure confirmation, an answer to an e-mail the city received, a reuser's "
        "API key confirmation) is sent "
        "to it after its owner used the stop link of one (the form says so; the stop page can "
        "resume them); a stop that never lapsed would lock the owner out for good.",
    )
    resident_links_per_hour: int = Field(
        5,
        ge=0,
        description="Sign-in links one e-mail address may be sent per hour, and ten times that "
        "per client address, counted across every worker (0 disables the limits).",
    )
    waste_reminder_minutes: float = Field(
        5.0,
        gt=0,
        le=60,
        description="How often the leader worker looks for waste collection reminders due "
        "(each is sent once, at or after its evening time, the day before the collection).",
    )
    library_sru_url: str = Field(
        "",
        description="SRU endpoint of the library catalogue (searchRetrieve), e.g. "
        "`https://catalogue.bnf.fr/api/SRU`. Empty: no library search.",
    )
    library_sru_index: str = Field(
        "cql.serverChoice", description="CQL index the words are searched in (`bib.anywhere` at the BnF)."
    )
    library_sru_schema: str = Field(
        "dc", description="recordSchema asked for: Dublin Core (`dc`; `dublincore` at the BnF)."
    )
    library_sru_version: str = Field("1.2", description="SRU version sent (1.2 or 2.0).")
    city_services: str = Field(
        "",
        description="YAML directory of the city's online services (family portal, library account…): "
        "groups of links with French and English titles and descriptions, https only. Empty: none.",
    )

    # --- notifications --------------------------------------------------------
    # (add notification settings below this line)
    notify_transport: str = Field(
        "file",
        description="How e-mails to residents leave the outbox: `file` writes RFC 5322 "
        "`.eml` files under `<data_dir>/outbox/`, `smtp` sends them to `VIGIE_SMTP_HOST`, "
        "`none` disables e-mail notifications (nothing is queued).",
    )
    smtp_host: str = Field("localhost", description="SMTP server (with `notify_transport=smtp`).")
    smtp_port: int = Field(
        0,
        description="SMTP port; 0 picks the usual one for `smtp_security` "
        "(25 for `none`, 587 for `starttls`, 465 for `ssl`).",
    )
    smtp_security: str = Field(
        "starttls",
        description="`starttls` (upgrade a plain connection; refused if the server does "
        "not offer it), `ssl` (implicit TLS) or `none`. Certificates are verified.",
    )
    smtp_username: str = Field("", description="SMTP login; empty means no authentication.")
    smtp_password: str = Field("", description="SMTP password.")
    smtp_timeout_seconds: float = Field(
        30.0, description="Timeout of each network operation with the SMTP server."
    )
    mail_from: str = Field(
        "Vigie <no-reply@vigie.example>",
        description="Sender of e-mails to residents (`From:` header and envelope sender); "
        "its domain is also used in Message-IDs.",
    )
    outbox_poll_seconds: float = Field(
        5.0, description="How often the outbox sender looks for messages that are due."
    )
    outbox_max_attempts: int = Field(
        8,
        description="Attempts to send one message before it is marked `failed` "
        "(retries back off from 30 s, doubling, up to 1 h).",
    )
    outbox_retention_days: int = Field(
        30,
        description="Sent and failed messages (which hold e-mail addresses) are deleted "
        "from the outbox after this many days; 0 keeps them.",
    )
    dkim_private_key: str = Field(
        "",
        description="RSA private key (PEM text, or the path of a file holding it) that signs "
        "outgoing e-mail with DKIM; empty: unsigned. Signed mail also offers one-click "
        "unsubscription (RFC 8058 `List-Unsubscribe-Post`). Publish the public key as "
        "`<selector>._domainkey.<domain>` TXT.",
    )
    dkim_selector: str = Field("", description="DKIM selector (required with `dkim_private_key`).")
    dkim_domain: str = Field("", description="DKIM signing domain (`d=`); empty: the domain of `mail_from`.")
    unsubscribe_mailto: str = Field(
        "",
        description="Address given as the `mailto:` of `List-Unsubscribe` (its subject names the "
        "stop link to open); empty: the address of `mail_from`.",
    )
    mail_digest_minutes: float = Field(
        10.0,
        ge=0,
        le=1440,
        description="Changes to a report within this many minutes of each other are told in "
        "one e-mail (each change waits this long for the next; at most six windows in all). "
        "0 sends each change at once.",
    )
    follow_rate_limit: int = Field(
        10,
        ge=0,
        description="Follows of reports (by e-mail or not) allowed per client address per "
        "hour, counted across every worker (0 disables the limit).",
    )
    mail_unconfirmed_per_day: int = Field(
        3,
        ge=0,
        description="E-mails an address that never confirmed may get per day: receipts of "
        "reports made with it, requests to confirm a follow, erasure and API key "
        "confirmations. Past it nothing more is sent, and the answer is the same as below it "
        "(a refusal told whether the address had reported today; 0: none at all).",
    )

    # --- inbound e-mail (Allo mairie) --------------------------------------------
    mail_inbound: str = Field(
        "none",
        description="How reports sent by e-mail reach Vigie: `smtp` runs an SMTP listener "
        "(aiosmtpd) on `VIGIE_MAIL_INBOUND_SMTP_HOST`/`_PORT` for the city's MX to relay to, "
        "`imap` polls the city's mailbox (`VIGIE_MAIL_INBOUND_IMAP_URL`), `none` receives "
        "nothing.",
    )
    mail_inbound_address: str = Field(
        "",
        description="The city's address residents write to (e.g. `allo@ville.example`): "
        "given as `Reply-To` of the receipts so that replies join the report, and never "
        "answered to itself (loops). Empty: the address of `mail_from`.",
    )
    mail_inbound_smtp_host: str = Field(
        "127.0.0.1", description="Address the inbound SMTP listener binds to (`mail_inbound=smtp`)."
    )
    mail_inbound_smtp_port: int = Field(
        8025, ge=0, le=65535, description="Port of the inbound SMTP listener (`mail_inbound=smtp`)."
    )
    mail_inbound_imap_url: str = Field(
        "",
        description="The city's mailbox (`mail_inbound=imap`): "
        "`imaps://user:password@imap.ville.example/INBOX` (TLS) or `imap://…` (STARTTLS when "
        "the server offers it). Messages read are flagged `\\Seen` and moved to the folder "
        "`VIGIE_MAIL_INBOUND_IMAP_DONE` when it is set.",
    )
    mail_inbound_imap_done: str = Field(
        "", description="IMAP folder where handled messages are moved; empty: left flagged seen."
    )
    mail_inbound_poll_seconds: float = Field(
        30.0, gt=0, description="How often the city's mailbox is polled (`mail_inbound=imap`)."
    )
    mail_inbound_max_bytes: int = Field(
        30 * 1024 * 1024,
        ge=1024,
        description="Largest inbound message accepted (bytes, attachments included); bigger "
        "ones are refused with an answer saying the limit.",
    )
    mail_inbound_authserv_id: str = Field(
        "",
        description="Authentication-Results (RFC 8601) written by the city's own mail server "
        "under this id are believed (IMAP); empty: Vigie checks DKIM and DMARC itself, and "
        "SPF too when it receives by SMTP (it knows the client's address).",
    )
    mail_inbound_dns_timeout_seconds: float = Field(
        5.0, gt=0, description="DNS time-out of the SPF, DKIM and DMARC checks of inbound mail."
    )

    # --- service suggestion (triage) -------------------------------------------
    triage_history_limit: int = Field(
        50_000,
        ge=0,
        description="Newest reports handled by the control room that service suggestion "
        "learns from (their text and the service finally chosen).",
    )
    triage_retrain_minutes: float = Field(
        60.0,
        ge=0,
        description="Service suggestion is trained again from the history after this long "
        "(0: every time, for tests).",
    )

    # --- assets ---------------------------------------------------------------
    # (add asset settings below this line)

    # --- telemetry and MQTT --------------------------------------------------
    # (add telemetry settings below this line)
    mqtt_url: str = Field(
        "",
        description="MQTT broker for telemetry ingest and lighting commands, e.g. "
        "`mqtt://user:pass@127.0.0.1:1883` or `mqtts://broker.example:8883` (TLS). Empty: no "
        "broker; the fleet simulator runs inside the web process and feeds the ingest directly.",
    )
    mqtt_protocol: str = Field(
        "3.1.1",
        description="MQTT protocol version the ingest speaks to the broker: `3.1.1` (the "
        "default: about a third less CPU per message with paho-mqtt) or `5`. Devices may use "
        "either whatever the ingest speaks.",
    )
    mqtt_client_id: str = Field(
        "vigie-ingest",
        description="Fixed MQTT client id of the ingest: with a persistent session the broker "
        "keeps QoS 1 messages published while the ingest is disconnected.",
    )
    telemetry_partitions: int = Field(
        8,
        description="On PostgreSQL with a broker, the ingest is spread over every process: "
        "each consumes some of this many partitions of the assets (one MQTT session per "
        "partition, `{VIGIE_MQTT_CLIENT_ID}-p3of8`), taken over when a process dies. Every "
        "process must have the same value; 1 keeps one ingest process for the whole fleet "
        "(always so on SQLite).",
    )
    mqtt_qos: int = Field(1, description="QoS of the ingest subscriptions and of commands (0 or 1).")
    mqtt_session_expiry_seconds: int = Field(
        86400,
        description="How long the broker keeps the ingest's session (and queued QoS 1 "
        "messages) while it is away (MQTT 5; MQTT 3.1.1 uses clean_session=False).",
    )
    mqtt_keepalive_seconds: int = Field(30, description="MQTT keep-alive interval.")
    mqtt_reconnect_max_seconds: float = Field(
        30.0, description="Longest wait between two reconnection attempts (backoff doubles up to it)."
    )
    mqtt_tls_ca_file: str = Field(
        "", description="CA bundle for `mqtts://` (empty: the system's trusted CAs)."
    )
    mqtt_tls_cert_file: str = Field("", description="Client certificate for `mqtts://` (optional).")
    mqtt_tls_key_file: str = Field("", description="Client private key for `mqtts://` (optional).")
    mqtt_tls_insecure: bool = Field(False, description="Skip the broker host name check (tests only).")
    mqtt_topic_prefix: str = Field(
        "vigie",
        description="First topic level: `{prefix}/telemetry/{asset_id}`, "
        "`{prefix}/command/{asset_id}`, `{prefix}/ack/{asset_id}`.",
    )
    telemetry_flush_ms: int = Field(
        200, description="Ingest batches are written to the database at least this often (ms)."
    )
    telemetry_flush_max: int = Field(2000, description="…or as soon as this many messages are waiting.")
    telemetry_latest_flush_seconds: float = Field(
        10.0,
        description="Interval at which the latest state per asset (kept in memory) is "
        "copied to the database.",
    )
    telemetry_max_payload_bytes: int = Field(
        8192, description="Largest telemetry payload accepted; larger ones are dead letters."
    )
    telemetry_raw_retention_days: int = Field(
        7,
        description="Raw telemetry samples are kept this many days, then folded into hourly "
        "aggregates (count, min, max, mean, last value).",
    )
    telemetry_hourly_retention_days: int = Field(
        400, description="Hourly aggregates are kept this many days."
    )
    telemetry_dead_letter_retention_days: int = Field(
        30, description="Dead letters and finished commands are kept this many days."
    )
    telemetry_retention_interval_hours: float = Field(
        6.0, description="How often the ingest applies retention (0 disables it)."
    )
    telemetry_dead_letters_per_second: int = Field(
        200,
        description="Most dead letters stored per second; beyond that they are only counted "
        "(flood protection).",
    )
    telemetry_simulator: str = Field(
        "auto",
        description="Fleet simulator inside the web process: `auto` (on when no MQTT broker is "
        "configured, except in tests), `on` or `off`.",
    )
    telemetry_simulator_speed: float = Field(
        1.0,
        description="Simulated time runs this many times faster than real time (the "
        "embedded simulator and `vigie simulate`).",
    )
    command_ack_timeout_seconds: int = Field(
        120, description="A lighting command not acknowledged within this delay is `expired`."
    )

    # --- alarms ---------------------------------------------------------------
    # (add alarm settings below this line)
    alarm_rules: str = Field(
        "",
        description="Alarm rules file (YAML). Empty: the city's bundled rules "
        "(`src/vigie/alarms/rules/{city}.yaml`), or no rules when there is none.",
    )
    alarm_timer_seconds: float = Field(
        15.0,
        description="Period of the alarm timer: escalations, missing heartbeats, lighting "
        "schedules and command time-outs.",
    )
    lighting_scheduler: bool = Field(
        True,
        description="Send each light group its daily switching program (astronomical on/off, "
        "dimming) over MQTT.",
    )

    # --- operations log (main courante) and video protection (issue 18) ------
    oplog_shift_starts: str = Field(
        "06:00,14:00,22:00",
        description="Local times at which a control-room shift begins (comma-separated HH:MM): "
        "the end-of-shift summary of the operations log covers the shift under way by default.",
    )
    video_compliance_minutes: float = Field(
        60,
        ge=0,
        description="How often the video-protection compliance alerts are checked (authorisations "
        "expiring or expired, retention, signs, masks, cameras outside an authorised system); "
        "0 turns the timer off (`vigie video check` runs it by hand).",
    )

    # --- security: shared limits and sign-in throttling (issue 15) -------------
    redis_url: str = Field(
        "",
        description="Redis server for the counters every worker shares (anonymous submission "
        "rate, sign-in throttling), e.g. `redis://127.0.0.1:6379/2`: the path is the database "
        "index. Empty: the counters live in the database (PostgreSQL's table, or a SQLite file "
        "next to the database). Give each program using the server its own index (an addok "
        "geocoder uses another).",
    )
    redis_limits_db: int = Field(
        -1,
        description="Redis database index of the counters; -1 uses the index of `VIGIE_REDIS_URL`.",
    )
    redis_key_prefix: str = Field(
        "vigie:", description="Prefix of every Redis key Vigie writes (tests use a unique one)."
    )
    login_max_delay_seconds: int = Field(
        900,
        ge=1,
        description="Longest wait imposed between sign-in attempts after repeated failures: the "
        "delay doubles with each failure (after a few free ones, per account and address, per "
        "address, and per account from unknown addresses) up to this, so no one is locked out "
        "for good.",
    )
    opendata_quorum: int = Field(
        2,
        ge=1,
        description="Members of the data ethics committee who must vote on a proposal (a new "
        "open dataset or changed publication rules) before its decision can be recorded.",
    )
    retention_contact_days: int = Field(
        365,
        ge=0,
        description="Days after a report is closed before its reporter's name, e-mail, phone, "
        "device and account ids and its followers' e-mail addresses are emptied "
        "(docs/retention.md); 0 keeps them.",
    )
    retention_release_days: int = Field(
        365,
        ge=0,
        description="Days a superseded open data release keeps its file (the latest release of "
        "a dataset always does; the changelog keeps every version); superseded uploads go after "
        "the same time; 0 keeps them.",
    )
    retention_unpublished_upload_days: int = Field(
        90,
        ge=0,
        description="Days a file uploaded to the open data platform is kept while nothing was "
        "published from it: a file read and previewed but never published, or a dataset's file "
        "that no release was built from (a dataset the ethics committee has not approved yet); "
        "the staff's page of files shows when each will go; 0 keeps them.",
    )
    retention_backup_days: int = Field(
        35,
        ge=0,
        description="Days a backup is kept: `vigie backup` deletes the older ones (beside the new "
        "one on disk, and in the object store with --object-store) once the new one is whole, so "
        "that erased personal data leaves the backups too; 0 keeps them.",
    )
    lab_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Longest time one data lab query (and one records API query) may run before it "
        "is stopped (the lab's query process is killed, and another started).",
    )
    lab_rows: int = Field(
        5000,
        ge=1,
        le=1_000_000,
        description="Most rows a data lab query answers (more are cut, and the answer says so).",
    )
    lab_memory_mb: int = Field(
        512,
        ge=64,
        description="Memory one data lab query may use (DuckDB's memory_limit), in MB; the lab's query "
        "process may hold this much plus 256 MB beyond what its libraries take, and is stopped past it.",
    )
    # --- reusers' API keys and quotas (records API, exports, data lab, OGC API) ---
    quota_anonymous_per_minute: int = Field(
        60,
        ge=0,
        description="Open data API requests (records, exports, data lab, OGC API) one client "
        "address without a key may make per minute, all APIs together (0: no limit).",
    )
    quota_anonymous_per_day: int = Field(
        5000,
        ge=0,
        description="The same per day (UTC); a reuser who needs more asks for a key (0: no limit).",
    )
    quota_key_per_minute: int = Field(
        600,
        ge=0,
        description="Requests per minute of a new reuser key; staff may change a key's own "
        "quota (0: no limit).",
    )
    quota_key_per_day: int = Field(
        100_000,
        ge=0,
        description="Requests per day (UTC) of a new reuser key (0: no limit).",
    )
    opendata_schedule_seconds: float = Field(
        3600,
        ge=0,
        description="How often the web app looks for open datasets whose update frequency makes "
        "a release due, and releases them (in the process holding the ingest lock); 0 turns "
        "scheduled releases off (`vigie opendata release-due` does the same from cron).",
    )

    @field_validator("oplog_shift_starts")
    @classmethod
    def _shift_starts(cls, value: str) -> str:
        for part in value.split(","):
            time.fromisoformat(part.strip())  # ValueError names the bad part
        return value

    @model_validator(mode="after")
    def _default_public_base_url(self) -> Settings:
        if not self.public_base_url:
            host = self.host
            if host in ("", "0.0.0.0", "::"):  # noqa: S104 - reading the setting, not binding
                host = "127.0.0.1"
            elif ":" in host:
                host = f"[{host}]"
            self.public_base_url = f"http://{host}:{self.port}"
        return self

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

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Settings:
        if (self.photo_storage == "s3" or self.photo_urls == "signed") and not (
            self.photo_storage == "s3" and self.s3_bucket
        ):
            raise ValueError(
                "VIGIE_PHOTO_STORAGE=s3 needs VIGIE_S3_BUCKET, and VIGIE_PHOTO_URLS=signed needs "
                "VIGIE_PHOTO_STORAGE=s3"
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
