"""An assignment's ``notebook.py``: its reference regions and the notebooks built from it."""
