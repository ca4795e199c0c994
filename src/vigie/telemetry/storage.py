"""Tables of the telemetry context."""
