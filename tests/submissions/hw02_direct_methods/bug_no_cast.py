# question: q5
# bug: never casts X and y to `dtype`, so both methods solve in float64
import torch


def stability_errors(kappas, n=200, p=5, seeds=range(5), dtype=torch.float32, device="cpu"):
    out = {"normal": [], "qr": []}
    for kappa in kappas:
        errs = {"normal": [], "qr": []}
        for seed in seeds:
            X, y, w = make_problem(kappa, n, p, seed, device)
            for name, solver in (("normal", lstsq_normal), ("qr", lstsq_qr)):
                w_hat = solver(X, y).to(torch.float64)
                errs[name].append(float(torch.linalg.vector_norm(w_hat - w) / w.norm()))
        for name in out:
            out[name].append(float(torch.median(torch.tensor(errs[name], dtype=torch.float64))))
    return {name: torch.tensor(v, dtype=torch.float64) for name, v in out.items()}
