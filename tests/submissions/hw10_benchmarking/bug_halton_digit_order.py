# question: q3
# bug: the radical inverse keeps the digits in their original order (most significant
# digit first after the point) instead of mirroring them
def halton(index, base):
    digits = []
    while index > 0:
        digits.append(index % base)
        index //= base
    r, f = 0.0, 1.0
    for d in reversed(digits):
        f /= base
        r += f * d
    return r
