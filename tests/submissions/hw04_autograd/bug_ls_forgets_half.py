# question: q3
# bug: ∂f/∂z1 is taken as 2·z1, forgetting the factor ∂f/∂z2 = ½ of f = z2 / 2
import torch


def ls_backward(X, y, w, cache):
    z1 = cache["z1"]
    df_dz2 = torch.tensor(0.5, dtype=z1.dtype, device=z1.device)
    df_dz1 = 2.0 * z1
    return {"df_dz2": df_dz2, "df_dz1": df_dz1, "df_dw": X.T @ df_dz1}
