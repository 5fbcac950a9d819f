# question: q2
# bug: the segment's parameters are not passed to apply, so autograd skips the backward of
# a segment whose input does not require grad (the first one): its weights get no gradient
def checkpointed_forward(layers, x, n_segments):
    bounds = segment_bounds(len(layers), n_segments)
    for a, b in itertools.pairwise(bounds):
        x = SegmentFunction.apply(x, layers, a, b)
    return x
