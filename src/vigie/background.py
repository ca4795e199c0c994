"""Background services started with the web app (outbox sender, MQTT ingest, simulator…).

Each context that needs one exposes ``make_background(vigie) -> list[BackgroundService]``;
the app lifespan starts them after the event bus and stops them in reverse order.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from vigie.runtime import Vigie

log = logging.getLogger(__name__)

# Modules providing make_background(vigie); order is start order.
PROVIDERS = [
    "vigie.notifications.service",
    "vigie.telemetry.service",
    "vigie.alarms.service",
]


class BackgroundService(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def background_services(v: Vigie) -> list[BackgroundService]:
    services: list[BackgroundService] = []
    for module_name in PROVIDERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # context not installed in this build
            raise
        services.extend(module.make_background(v))
    return services
