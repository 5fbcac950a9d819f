# question: q1
# bug: identifies saved tensors by t.data_ptr() instead of their storage, so two views of
# one storage are counted twice
def saved_activation_bytes(fn, x, exclude=()):
    skip = {t.data_ptr() for t in exclude}
    seen = {}

    def pack(t):
        if t.data_ptr() not in skip:
            seen[t.data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x)
    return int(sum(seen.values()))
