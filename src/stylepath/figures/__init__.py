"""Figures: one module per figure command; shared look in `common`."""
