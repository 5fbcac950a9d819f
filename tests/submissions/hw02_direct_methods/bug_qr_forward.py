# question: q3
# bug: solves Rw = Qᵀy with forward substitution (as if R were lower triangular)
import torch


def lstsq_qr(X, y):
    Q, R = torch.linalg.qr(X, mode="reduced")
    return forward_substitution(R, Q.T @ y, unit_diagonal=False)
