# question: q4
# bug: multiplies the Jacobians first-to-last on the right, J_1 J_2 ⋯ J_L, instead of
# J_L ⋯ J_2 J_1 (shapes only line up for square maps)
def compose(jacobians):
    total = jacobians[0]
    for J in jacobians[1:]:
        total = total @ J
    return total
