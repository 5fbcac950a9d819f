"""Tests of autograder/grading/: the trusted side: scoring, the pytest runner, batch grading."""
