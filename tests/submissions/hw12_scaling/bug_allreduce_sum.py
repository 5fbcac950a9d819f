# question: q5
# bug: the all-reduce sums the workers' gradients but forgets to divide by their number
def allreduce_mean(per_worker):
    return [sum(grads[1:], grads[0].clone()) for grads in zip(*per_worker)]
