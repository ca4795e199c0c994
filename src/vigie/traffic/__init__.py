"""Traffic regulation: signal controllers, traffic counts and congestion, roadworks and closures."""
