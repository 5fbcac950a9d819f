"""Tests of autograder/sandbox/: the sandbox child and what confines it."""
