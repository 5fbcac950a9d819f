import torch

from autograder.testing import T0, T1, probe

F64 = torch.float64
# a 3-state chain: state 2 is terminal
P = torch.tensor(
    [[[0.0, 0.5, 0.5], [0.0, 0.0, 1.0]], [[0.3, 0.0, 0.7], [0.0, 0.0, 1.0]], [[0.0, 0.0, 1.0]] * 2],
    dtype=F64,
)
R = torch.zeros(3, 2, 3, dtype=F64)
R[0, 1, 2] = 0.2
R[1, 0, 2] = 1.0
RHO0 = torch.tensor([1.0, 0.0, 0.0], dtype=F64)
TERMINAL = torch.tensor([False, False, True])
THETA = torch.tensor([[0.5, -0.5], [0.0, 1.0], [0.0, 0.0]], dtype=F64)


@probe
def values(ns, theta, P, R, rho0):
    return {
        "pi": ns.softmax_policy(theta),
        "J": ns.expected_return(theta, P, R, rho0, 0.9).detach(),
        "grad": ns.exact_policy_gradient(theta, P, R, rho0, 0.9),
    }


@probe
def sampled(ns, theta, P, R, rho0, terminal):
    g = torch.Generator().manual_seed(0)
    eps = ns.sample_episodes(theta, P, R, rho0, 50, 3, g, terminal)
    return [[[int(s), int(a), float(r)] for s, a, r in ep] for ep in eps]


@probe
def reinforce(ns, theta):
    eps = [[(0, 0, 0.0), (1, 0, 1.0)], [(0, 1, 0.2)]]
    return [
        ns.reinforce_gradient(theta, eps, 0.9),
        ns.reinforce_gradient(theta, eps, 0.9, torch.tensor([0.3, 0.5, 0.0], dtype=torch.float64)),
    ]


def test_q4_exact(grade):
    grade.compare(values, THETA, P, R, RHO0, case="3-state chain: π, J, exact gradient", **T1)


def test_q4_sampling(grade):
    grade.compare(sampled, THETA, P, R, RHO0, TERMINAL, case="3 episodes, seed 0", **T0)


def test_q4_reinforce(grade):
    grade.compare(reinforce, THETA, case="2 fixed episodes, without and with a baseline", **T1)
