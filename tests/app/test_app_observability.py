"""What the city's IT watches: metrics, request ids, JSON logs without personal data, probes."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.reports.helpers import report_body
from tests.s3server import free_port
from vigie.app import create_app
from vigie.app.observability import check_metrics_access
from vigie.errors import Forbidden
from vigie.logs import JsonFormatter, configure_logging, mask_personal_data
from vigie.runtime import Vigie


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.compile(rf"^{re.escape(name)}(?:\{{(.*)\}})? ([0-9.e+-]+)$", re.M)
    for got_labels, value in pattern.findall(text):
        if all(part in got_labels.split(",") for part in wanted.split(",") if part):
            return float(value)
    raise AssertionError(f"{name}{{{wanted}}} not in the metrics")


def test_observability_metrics_count_requests_by_route_template_and_read_the_queue(
    client: TestClient, vigie: Vigie
) -> None:
    made = client.post("/api/v1/reports", json=report_body())
    assert made.status_code == 201
    token = made.json()["token"]
    assert client.get(f"/api/v1/track/{token}").status_code == 200

    # The test client calls from "testclient", outside the monitoring network: the token opens it.
    vigie.settings = vigie.settings.model_copy(update={"metrics_token": "metrics-token-for-tests"})
    text = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"}).text

    assert _metric(text, "vigie_http_requests_total", route="/api/v1/reports", status="201") >= 1
    assert _metric(text, "vigie_http_requests_total", route="/api/v1/track/{token}", status="200") >= 1
    # The tracking token (a capability) never appears: labels are route templates.
    assert token not in text
    assert _metric(text, "vigie_reports_open", status="new") == 1
    assert _metric(text, "vigie_outbox_backlog", status="pending") >= 0
    assert "vigie_http_request_duration_seconds_bucket" in text


def test_observability_every_answer_has_a_request_id(client: TestClient) -> None:
    fresh = client.get("/livez")
    assert re.fullmatch(r"[0-9a-f]{16}", fresh.headers["x-request-id"])
    kept = client.get("/livez", headers={"X-Request-ID": "nginx-1234.abc"})
    assert kept.headers["x-request-id"] == "nginx-1234.abc"
    # A malformed id (an injection attempt into the logs) is replaced, not echoed.
    replaced = client.get("/livez", headers={"X-Request-ID": "a b\tc" + "x" * 80})
    assert re.fullmatch(r"[0-9a-f]{16}", replaced.headers["x-request-id"])


def test_observability_metrics_refuse_outside_the_network_without_token(vigie: Vigie) -> None:
    settings = vigie.settings.model_copy(update={"metrics_token": "s3cret-metrics-token"})
    check_metrics_access(settings, "127.0.0.1", "")
    check_metrics_access(settings, "203.0.113.7", "Bearer s3cret-metrics-token")
    with pytest.raises(Forbidden):
        check_metrics_access(settings, "203.0.113.7", "")
    with pytest.raises(Forbidden):
        check_metrics_access(settings, "203.0.113.7", "Bearer wrong")
    no_network = settings.model_copy(update={"metrics_networks": "", "metrics_token": ""})
    with pytest.raises(Forbidden):
        check_metrics_access(no_network, "127.0.0.1", "")


def test_observability_metrics_answer_403_to_a_stranger(vigie: Vigie) -> None:
    vigie.settings = vigie.settings.model_copy(update={"metrics_networks": "10.0.0.0/8"})
    with TestClient(create_app(vigie=vigie)) as c:  # the test client calls from "testclient"
        answer = c.get("/metrics")
    assert answer.status_code == 403
    assert "token" in answer.json()["detail"]


def test_observability_readiness_names_the_dependency_that_is_down(vigie: Vigie) -> None:
    vigie.settings = vigie.settings.model_copy(
        update={
            "mqtt_url": f"mqtt://127.0.0.1:{free_port()}",
            "redis_url": f"redis://127.0.0.1:{free_port()}/0",
        }
    )
    with TestClient(create_app(vigie=vigie)) as c:
        answer = c.get("/readyz")
        live = c.get("/livez")
    body = answer.json()
    # The database answers: the node still serves, degraded, and says what is down.
    assert answer.status_code == 200
    assert body["status"] == "degraded"
    assert sorted(body["down"]) == ["broker", "redis"]
    assert body["checks"]["database"]["ok"] is True
    assert live.status_code == 200


def test_observability_readiness_is_503_without_the_database(vigie: Vigie) -> None:
    with TestClient(create_app(vigie=vigie)) as c:
        vigie.db.engine.dispose()
        original = vigie.db.session

        def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise ConnectionError("database gone")

        vigie.db.session = broken  # type: ignore[method-assign]
        try:
            answer = c.get("/readyz")
        finally:
            vigie.db.session = original  # type: ignore[method-assign]
    assert answer.status_code == 503
    assert answer.json()["down"] == ["database"]


def test_logs_mask_personal_data() -> None:
    line = mask_personal_data("bounce for jean.dupont+x@example.fr, call 06 12 34 56 78 or +33 6 12 34 56 78")
    assert "example.fr" not in line and "56 78" not in line
    assert line.count("[email]") == 1 and line.count("[phone]") == 2
    # Coordinates, dates and ids are not phone numbers.
    assert mask_personal_data("47.3220,5.0415 2026-12-07 id 123456") == "47.3220,5.0415 2026-12-07 id 123456"
    assert mask_personal_data("appelez le +33 (0)6 12 34 56 78") == "appelez le [phone]"
    # A reuser's API key, alone and beside an address (each pattern runs only when it can match).
    assert mask_personal_data("key vk_abcdefghij0123456789-_x used") == "key [key] used"
    assert mask_personal_data("a@b.fr vk_abcdefghij0123456789xyz") == "[email] [key]"


def test_logs_json_lines_carry_the_request_id_and_no_path(
    client: TestClient, capsys: pytest.CaptureFixture[str], vigie: Vigie
) -> None:
    configure_logging("info", "json")
    try:
        vigie.settings = vigie.settings.model_copy(update={"log_format": "json"})
        with TestClient(create_app(vigie=vigie)) as c:
            made = c.post("/api/v1/reports", json=report_body(), headers={"X-Request-ID": "req-42"})
            token = made.json()["token"]
            c.get(f"/api/v1/track/{token}?email=jean@example.fr", headers={"X-Request-ID": "req-43"})
            logging.getLogger("vigie.test").warning("mail to jean@example.fr failed")
        lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    access = {x["request_id"]: x for x in lines if x["logger"] == "vigie.access"}
    assert access["req-42"]["route"] == "/api/v1/reports" and access["req-42"]["status"] == 201
    assert access["req-43"]["route"] == "/api/v1/track/{token}"
    whole = json.dumps(lines)
    assert token not in whole and "jean@example.fr" not in whole and "127.0.0.1" not in whole
    assert any(x["message"] == "mail to [email] failed" for x in lines)


def test_logs_json_formatter_shape() -> None:
    record = logging.LogRecord("vigie.x", logging.ERROR, __file__, 1, "boom %s", ("a",), None)
    record.request_id = "r1"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "error" and entry["message"] == "boom a" and entry["request_id"] == "r1"


@pytest.mark.slow
def test_observability_metrics_add_up_every_worker(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.limits.test_limits_workers import serve

    proc, base = serve(database_url, tmp_path)
    try:
        for _ in range(40):  # a new connection each time: the two workers take turns
            assert httpx.get(base + "/livez", timeout=30).status_code == 200
        seen = set()
        for _ in range(6):  # whichever worker answers the scrape, it counts both
            text = httpx.get(base + "/metrics", timeout=30).text
            seen.add(_metric(text, "vigie_http_requests_total", route="/livez", status="200"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert seen == {40.0}
    # Both workers counted (one file of counters per process).
    assert len(list((tmp_path / "run").glob("metrics-*/counter_*.db"))) >= 2


def test_logs_never_let_uvicorn_access_lines_through(capsys: pytest.CaptureFixture[str]) -> None:
    logging.getLogger("uvicorn.access").propagate = True  # as uvicorn leaves it with an access log
    configure_logging("info", "text")
    try:
        logging.getLogger("uvicorn.access").info('%s - "GET /suivi/abc HTTP/1.1" 200', "203.0.113.9:5555")
        logging.getLogger("vigie.test").warning("Application startup complete.")
        err = capsys.readouterr().err
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    assert "203.0.113.9" not in err and "/suivi/abc" not in err
    assert "Application startup complete." in err
