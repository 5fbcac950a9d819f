def square(x):
    return x * x


def _readable_elsewhere():
    """What of this machine outside the sandbox's allowlist the submission can read."""
    import os

    found = []
    for path in ("{CHECKOUT}/.git/HEAD", "{CHECKOUT}/pyproject.toml", "{CHECKOUT}/README.md"):
        try:
            with open(path) as fh:
                fh.read(1)
            found.append(path)
        except OSError:
            pass
    for name in ("solutions", "assignments", "tests", ".git", "dist"):
        if os.path.lexists("{CHECKOUT}/" + name):
            found.append(name)
    for folder in ("/home", "/root", "/srv", "/opt", "/mnt", "/run"):
        try:
            if os.listdir(folder):
                found.append(folder)
        except OSError:
            pass
    return found


def add(a, b):
    # Anything found fails the case (and the feedback says what was found).
    found = _readable_elsewhere()
    if found:
        raise RuntimeError("could read: " + ", ".join(found))
    return a + b
