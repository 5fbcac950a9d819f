"""Tests of autograder/runtime/: what runs in the sandbox child and ships to students."""
