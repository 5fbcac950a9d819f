"""Tests of autograder/build/: bundles, Gradescope zips, the otter export, the scaffold."""
