# question: q2
# bug: divides by the number of workloads solved by someone instead of by all W workloads
def performance_profile(times, taus):
    times = times.to(torch.float64)
    best = times.min(dim=0, keepdim=True).values
    ratio = torch.where(torch.isfinite(times), times / best, torch.full_like(times, math.inf))
    hits = ratio.unsqueeze(-1) <= taus.to(times).view(1, 1, -1)
    solved = torch.isfinite(best).sum()
    return hits.to(torch.float64).sum(dim=1) / solved
