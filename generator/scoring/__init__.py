"""Scoring merged returns: the rules (standards/scoring.yaml), the tier arithmetic and the
results of each organisation."""
