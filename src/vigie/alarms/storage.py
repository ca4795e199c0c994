"""Tables of the alarms context."""
