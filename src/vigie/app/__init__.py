"""The web application: ``create_app`` and the uvicorn entry point.

Split by concern, each small and free of import-time side effects:
``factory`` assembles, ``routers`` lists the routes in the order they are
tried, ``errors`` turns exceptions into answers, ``lifespan`` starts and stops
the platform, ``health`` is the readiness probe.
"""

from vigie.app.factory import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]
