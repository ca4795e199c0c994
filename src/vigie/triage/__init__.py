"""Service suggestion from free text (e-mail and phone intake)."""
