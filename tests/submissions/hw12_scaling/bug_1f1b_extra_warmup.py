# question: q4
# bug: one warm-up forward too many (p - s instead of p - 1 - s)
def one_f_one_b_schedule(p, m):
    orders = []
    for s in range(p):
        warm = min(p - s, m)
        order = [("F", j) for j in range(warm)]
        for i in range(m - warm):
            order += [("F", warm + i), ("B", i)]
        order += [("B", j) for j in range(m - warm, m)]
        orders.append(order)
    return asap_schedule(orders)
