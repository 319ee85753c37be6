"""Wiring: the only place where concrete stores and the web app are put together."""
