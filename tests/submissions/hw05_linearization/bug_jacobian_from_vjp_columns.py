# question: q2
# bug: the VJP of the i-th basis output is stored as column i instead of row i (the
# transposed Jacobian; it only has the right shape when the map is square)
import math

import torch


def jacobian_from_vjp(vjp, in_shape, out_shape, dtype=torch.float64, device="cpu"):
    n_in, n_out = math.prod(in_shape), math.prod(out_shape)
    J = torch.zeros(n_out, n_in, dtype=dtype, device=device)
    for i in range(n_out):
        e_i = torch.zeros(n_out, dtype=dtype, device=device)
        e_i[i] = 1.0
        J[:, i] = vjp(e_i.reshape(out_shape)).reshape(n_in)
    return J
