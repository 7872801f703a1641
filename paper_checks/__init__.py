"""paper_checks."""
