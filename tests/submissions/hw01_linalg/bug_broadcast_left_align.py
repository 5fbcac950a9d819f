# question: q3
# bug: pads the shorter shape with ones on the right (aligns leading dimensions)
def broadcast_shape(a, b):
    ndim = max(len(a), len(b))
    pa = tuple(a) + (1,) * (ndim - len(a))
    pb = tuple(b) + (1,) * (ndim - len(b))
    out = []
    for da, db in zip(pa, pb):
        if da != db and da != 1 and db != 1:
            return None
        out.append(db if da == 1 else da)
    return tuple(out)
