"""Tests of autograder/tools/: instructor reports."""
