"""Cardiovascular risk (WHO 2019 charts, SCORE2/SCORE2-Asia-Pacific) and heart failure rules."""
