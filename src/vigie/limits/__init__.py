"""Shared counters and limits: one seam for every worker process (login throttling, submission rates)."""
