"""Helpers shared by CareHub's tests, CI and benchmark scripts (standard library only)."""
