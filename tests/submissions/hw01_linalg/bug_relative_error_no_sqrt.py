# question: q5
# bug: returns the squared relative error (forgets the square root)
def relative_error(S, k):
    squares = S**2
    return float(squares[k:].sum() / squares.sum())
