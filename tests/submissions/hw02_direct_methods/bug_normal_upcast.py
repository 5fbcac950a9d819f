# question: q3
# bug: lstsq_normal forms and solves XᵀXw = Xᵀy in float64 whatever X's dtype (right in float64, so q3's tests pass; the float32 experiment of q5 then shows no κ² effect)
import torch


def lstsq_normal(X, y):
    X64, y64 = X.to(torch.float64), y.to(torch.float64)
    L, U = lu_nopivot(X64.T @ X64)
    return lu_solve_many(L, U, (X64.T @ y64)[:, None])[:, 0].to(X.dtype)
