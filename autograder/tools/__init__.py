"""Instructor reports that are not part of grading: ``make bench``, ``make matrix``,
``make mutants``."""
