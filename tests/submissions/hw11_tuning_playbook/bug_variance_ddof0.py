# question: q3
# bug: population standard deviation (divides by n) instead of the sample one (n - 1)
def trial_variance(values):
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / n
    return float(mean), float(math.sqrt(var))
