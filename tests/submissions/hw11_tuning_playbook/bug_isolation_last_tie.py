# question: q1
# bug: "<=" instead of "<" when comparing with the best so far: the LAST of tied trials wins
def isolation_table(trials, scientific, metric, mode="min"):
    sign = 1.0 if mode == "min" else -1.0
    best = {}
    for trial in trials:
        key = trial[scientific]
        if key not in best or sign * trial[metric] <= sign * best[key][metric]:
            best[key] = trial
    return {key: best[key] for key in sorted(best)}
