# question: q2
# bug: segment boundaries rounded up (ceil(i n / k)) instead of down: when k does not
# divide n the FIRST segment is a longest one, not the last
def segment_bounds(n_layers, n_segments):
    if not 1 <= n_segments <= n_layers:
        raise ValueError("need 1 <= n_segments <= n_layers")
    return [-(-(i * n_layers) // n_segments) for i in range(n_segments + 1)]
