# question: q1
# bug: with replacement, draws indices below n − 1 (the last example is never sampled)
def replacement_batches(n, batch_size, num_batches, generator):
    return [
        torch.randint(n - 1, (batch_size,), generator=generator, device=generator.device)
        for _ in range(num_batches)
    ]
