"""Kidney: eGFR equations, KDIGO classification and monitoring, the Kidney Failure Risk Equation."""
