"""CareHub's test suite."""
