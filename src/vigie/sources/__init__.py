"""Declarative reading of source files (CSV, GeoJSON) shared by every import."""
