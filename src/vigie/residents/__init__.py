"""Residents' optional accounts: sign-in by e-mail link, their data across devices, reminders."""
