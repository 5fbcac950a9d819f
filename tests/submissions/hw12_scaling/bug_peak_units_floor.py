# question: q3
# bug: floor instead of ceil for the longest segment (n // k)
def peak_saved_units(n_layers, n_segments):
    return n_segments + n_layers // n_segments + 1
