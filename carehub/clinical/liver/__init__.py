"""Liver: hepatocellular carcinoma surveillance (AASLD 2018) and PAGE-B."""
