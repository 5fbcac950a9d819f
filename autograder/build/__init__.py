"""``make dist``: student bundles, Gradescope zips, solution notebooks, and their checks."""
