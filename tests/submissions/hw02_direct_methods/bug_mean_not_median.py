# question: q5
# bug: averages the errors over the seeds instead of taking their median
import torch


def stability_errors(kappas, n=200, p=5, seeds=range(5), dtype=torch.float32, device="cpu"):
    out = {"normal": [], "qr": []}
    for kappa in kappas:
        errs = {"normal": [], "qr": []}
        for seed in seeds:
            X, y, w = make_problem(kappa, n, p, seed, device)
            Xd, yd = X.to(dtype), y.to(dtype)
            for name, solver in (("normal", lstsq_normal), ("qr", lstsq_qr)):
                w_hat = solver(Xd, yd).to(torch.float64)
                errs[name].append(float(torch.linalg.vector_norm(w_hat - w) / w.norm()))
        for name in out:
            out[name].append(sum(errs[name]) / len(errs[name]))
    return {name: torch.tensor(v, dtype=torch.float64) for name, v in out.items()}
