"""The themes places are filed under (their names are in the residents' app's texts)."""

from __future__ import annotations

# code -> Material-like symbol name for the page (no icon font: a letter badge)
THEMES = (
    "education",
    "transport",
    "bike",
    "shops",
    "tourism",
    "facilities",
    "toilets",
)

__all__ = ["THEMES"]
