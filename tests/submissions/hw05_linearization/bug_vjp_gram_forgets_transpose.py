# question: q1
# bug: the VJP of WᵀW is taken as 2WG, which is W(G + Gᵀ) only for a symmetric cotangent G
def vjp_gram(W, G):
    return 2.0 * W @ G
