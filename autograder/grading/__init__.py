"""The trusted side: hidden tests run here, against a sandbox that runs the student's code.

Never shipped to students.
"""
