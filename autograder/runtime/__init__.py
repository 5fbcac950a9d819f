"""What runs inside the sandbox child and ships to students (``autograde_check/``).

Nothing here imports the rest of the engine or holds anything secret: no reference code,
no hidden tests, no salt.
"""
