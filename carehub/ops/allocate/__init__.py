"""Bed and staff allocation: nurse rostering (INRC-II) and bed assignment with OR-Tools CP-SAT."""
