# question: q1
# bug: the uppercase fraction is taken over the letters only, not over all characters
import torch


def extract_features(email, device="cpu"):
    tokens = email.lower().split()
    letters = [c for c in email if c.isalpha()]
    caps = sum(c.isupper() for c in letters) / max(len(letters), 1)
    values = [
        email.count("!"),
        len(SPAM_WORDS & set(tokens)),
        sum("www" in t for t in tokens),
        caps,
        len(email) / 500,
    ]
    return torch.tensor(values, dtype=torch.float32, device=device)
