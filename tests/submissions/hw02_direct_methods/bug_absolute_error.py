# question: q5
# bug: measures the absolute error ‖ŵ − w‖ instead of the relative error ‖ŵ − w‖/‖w‖
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
                errs[name].append(float(torch.linalg.vector_norm(w_hat - w)))
        for name in out:
            out[name].append(float(torch.median(torch.tensor(errs[name], dtype=torch.float64))))
    return {name: torch.tensor(v, dtype=torch.float64) for name, v in out.items()}
