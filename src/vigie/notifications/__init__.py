"""Notifications: e-mails to residents through a durable outbox.

``actions`` queues messages inside the report transaction, ``storage`` holds
the outbox table, ``messages`` writes them (fr/en), ``sender`` is the transport
seam (``.eml`` files or SMTP) and ``service`` is the worker that sends them.
See docs/notifications.md.
"""
