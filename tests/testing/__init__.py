"""Tests of autograder/testing/: the API hidden tests are written in."""
