"""Lungs: spirometry references, COPD/asthma rules, lung-cancer screening, nodules."""
