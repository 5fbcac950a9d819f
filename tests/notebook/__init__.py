"""Tests of autograder/notebook/: reference regions and the notebooks built from notebook.py."""
