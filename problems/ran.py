"""Radio power control for K transmitter-receiver links with discrete power levels.

Channel model (``umi_channels``): 3GPP TR 38.901 Urban Micro street canyon, NLOS path loss
``PL = 35.3 log10(d) + 22.4 + 21.3 log10(fc / GHz)`` dB (d in metres), log-normal shadowing
(sigma = 7.82 dB), thermal noise -174 dBm/Hz over the bandwidth plus the receiver noise
figure. ``G[i, j]`` is the linear power gain from transmitter j to receiver i.

Two models over one-hot power choices ``x[k, l]`` (link k transmits at level l):
- ``min_power``: MILP, minimize total power subject to linear SINR targets
  ``G_kk p_k >= gamma_k (sum_{j != k} G_kj p_j + N)``;
- ``sum_rate_qubo``: QUBO, maximize a pairwise sum-rate surrogate: each link's
  interference-free rate minus, for every interferer, the rate it alone would take away.
Baselines on the same channels: every link at full power, and WMMSE (Shi et al., IEEE TSP
59(9), 2011) with continuous powers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import qbdsl as qb
from qbdsl.errors import ModelError


@dataclass
class Channels:
    """Gains ``G`` (K x K, linear), noise power ``noise`` (W), power levels ``levels`` (W).

    Raises
    ------
    ModelError
        When ``G`` is not square, has a negative or non-finite gain or a zero direct gain
        (the link is named), ``noise`` is not positive, or the levels are not at least two,
        increasing and non-negative.
    """

    G: np.ndarray
    noise: float
    levels: np.ndarray
    positions: np.ndarray | None = None  # (K, 2, 2): tx and rx coordinates, metres

    def __post_init__(self):
        self.G = np.asarray(self.G, float)
        self.levels = np.asarray(self.levels, float)
        K = len(self.G)
        if self.G.shape != (K, K):
            raise ModelError(f"gain matrix must be square, got {self.G.shape}")
        if np.any(self.G < 0) or not np.all(np.isfinite(self.G)):
            raise ModelError("gains must be finite and non-negative")
        if np.any(np.diag(self.G) <= 0):
            k = int(np.flatnonzero(np.diag(self.G) <= 0)[0])
            raise ModelError(f"link {k} has no direct gain (G[{k},{k}] = {self.G[k, k]})")
        if self.noise <= 0:
            raise ModelError(f"noise power must be positive, got {self.noise}")
        if len(self.levels) < 2 or np.any(np.diff(self.levels) <= 0) or self.levels[0] < 0:
            raise ModelError("power levels must be increasing, non-negative, at least two")

    @property
    def K(self) -> int:
        """The number K of links."""
        return len(self.G)


def umi_channels(
    K: int,
    seed: int = 0,
    area: float = 500.0,
    link_distance=(10.0, 50.0),
    fc_ghz: float = 3.5,
    bandwidth_hz: float = 20e6,
    noise_figure_db: float = 7.0,
    p_max_dbm: float = 23.0,
    n_levels: int = 4,
) -> Channels:
    """K random links in an ``area`` x ``area`` square (seeded), 3GPP UMi NLOS channels,
    ``n_levels`` power levels from 0 W to ``p_max_dbm`` (evenly spaced in watts).

    Parameters
    ----------
    K : int
        The number of transmitter-receiver links.
    seed : int
        Seeds positions and shadowing.
    area : float
        Side of the square, metres.
    link_distance : tuple of float
        Range of transmitter-receiver distances, metres.
    fc_ghz : float
        Carrier frequency, GHz.
    bandwidth_hz : float
        Noise bandwidth, Hz.
    noise_figure_db : float
        Receiver noise figure, dB.
    p_max_dbm : float
        Highest power level, dBm.
    n_levels : int
        The number of power levels.

    Returns
    -------
    Channels
        ``G`` (K, K), ``noise`` in W, ``levels`` (n_levels,) in W, ``positions`` (K, 2, 2) in metres.

    Raises
    ------
    ModelError
        When ``K`` < 1, or ``n_levels`` < 2 (from :class:`Channels`).
    """
    if K < 1:
        raise ModelError(f"K must be >= 1, got {K}")
    rng = np.random.default_rng(seed)
    tx = rng.uniform(0, area, (K, 2))
    ang = rng.uniform(0, 2 * np.pi, K)
    dist = rng.uniform(*link_distance, K)
    rx = tx + np.stack([np.cos(ang), np.sin(ang)], 1) * dist[:, None]
    d = np.linalg.norm(rx[:, None, :] - tx[None, :, :], axis=-1)  # rx i, tx j
    d3 = np.sqrt(np.maximum(d, 1.0) ** 2 + (10.0 - 1.5) ** 2)  # BS 10 m, UE 1.5 m
    pl_db = 35.3 * np.log10(d3) + 22.4 + 21.3 * np.log10(fc_ghz) + rng.normal(0, 7.82, (K, K))
    G = 10 ** (-pl_db / 10)
    noise = 10 ** ((-174 + 10 * np.log10(bandwidth_hz) + noise_figure_db - 30) / 10)
    p_max = 10 ** ((p_max_dbm - 30) / 10)
    return Channels(G, noise, np.linspace(0, p_max, n_levels), np.stack([tx, rx], 1))


def sinr(ch: Channels, p: np.ndarray) -> np.ndarray:
    """The linear SINR of each link at powers ``p`` (K,), W: shape (K,)."""
    p = np.asarray(p, float)
    signal = np.diag(ch.G) * p
    interference = ch.G @ p - signal
    return signal / (interference + ch.noise)


def sum_rate(ch: Channels, p: np.ndarray) -> float:
    """Shannon sum rate in bit/s/Hz."""
    return float(np.log2(1 + sinr(ch, p)).sum())


def check_targets(ch: Channels, gamma) -> None:
    """Refuse SINR targets no power allocation within the levels can meet.

    Parameters
    ----------
    ch : Channels
        The K links: gains ``G`` (K, K, linear), ``noise`` (W) and power ``levels`` (W);
        the highest level is the power limit.
    gamma : float or array_like, shape (K,)
        Linear SINR target of each link.

    Raises
    ------
    ModelError
        Naming a link that misses its target even alone at full power, or when the targets are
        jointly infeasible (spectral radius >= 1, Perron-Frobenius) or need more than the
        highest level.
    """
    gamma = np.broadcast_to(np.asarray(gamma, float), (ch.K,))
    p_max = ch.levels[-1]
    alone = np.diag(ch.G) * p_max / ch.noise
    bad = np.flatnonzero(alone < gamma)
    if len(bad):
        k = int(bad[0])
        raise ModelError(
            f"SINR target {gamma[k]:g} of link {k} is infeasible: even alone at full power it reaches {alone[k]:.3g}"
        )
    F = gamma[:, None] * ch.G / np.diag(ch.G)[:, None]
    np.fill_diagonal(F, 0)
    rho = float(np.max(np.abs(np.linalg.eigvals(F)))) if ch.K > 1 else 0.0
    if rho >= 1:
        raise ModelError(
            f"SINR targets are jointly infeasible (spectral radius {rho:.3g} >= 1); link "
            f"{int(np.argmax(F.sum(axis=1)))} suffers the most interference"
        )
    p_star = np.linalg.solve(np.eye(ch.K) - F, gamma * ch.noise / np.diag(ch.G))
    if np.any(p_star > p_max * (1 + 1e-9)):
        k = int(np.argmax(p_star / p_max))
        raise ModelError(
            f"SINR target of link {k} needs {p_star[k]:.3g} W > the {p_max:.3g} W maximum "
            "(with the other links at their minimal powers)"
        )


def min_power(ch: Channels, gamma, levels: str = "one-hot") -> qb.Model:
    """MILP: minimize total transmit power subject to SINR targets ``gamma`` (linear).

    ``levels="one-hot"``: binary ``x[k, l]``; ``"integer"``: one integer ``level[k]`` in
    0..L-1 (evenly spaced levels only), which a QUBO compile encodes as it is told.

    Parameters
    ----------
    ch : Channels
        The K links: gains ``G`` (K, K, linear), ``noise`` (W) and the L power ``levels``
        (W) each link chooses from.
    gamma : float or array_like, shape (K,)
        Linear SINR target of each link.
    levels : {"one-hot", "integer"}
        How each link's level is encoded: ``"one-hot"`` (default), binary ``x`` of shape
        (K, L) with one level per link; ``"integer"``, one integer ``level`` (K,) in
        0..L-1, which needs evenly spaced power levels.

    Returns
    -------
    qb.Model
        Objective: total power in W; ``m.channels`` is kept for :func:`interpret_power`.

    Raises
    ------
    ModelError
        Infeasible targets (see :func:`check_targets`), an unknown ``levels``, or
        ``levels="integer"`` with unevenly spaced power levels.
    """
    gamma = np.broadcast_to(np.asarray(gamma, float), (ch.K,))
    check_targets(ch, gamma)
    m = qb.Model("ran-min-power")
    scale = 1.0 / ch.levels[-1]  # powers in units of p_max: O(1) coefficients
    if levels == "one-hot":
        x = m.binary("x", (ch.K, len(ch.levels)))
        m.add(x.sum(axis=1) == 1, name="one-level")
        p = x @ (ch.levels * scale)  # (K,)
    elif levels == "integer":
        step = np.diff(ch.levels)
        if not np.allclose(step, step[0]):
            raise ModelError("levels='integer' needs evenly spaced power levels")
        lv = m.integer("level", ch.K, lb=0, ub=len(ch.levels) - 1)
        p = (ch.levels[0] + step[0] * lv) * scale
    else:
        raise ModelError(f"levels must be 'one-hot' or 'integer', got {levels!r}")
    G = ch.G / np.diag(ch.G)[:, None]  # normalized so the direct gain is 1
    interference = G @ p - p  # row k: sum_{j != k} G_kj p_j / G_kk
    m.add(p - gamma * interference >= gamma * ch.noise / np.diag(ch.G) * scale, name="sinr")
    m.minimize(p.sum() / scale)
    m.channels = ch
    return m


def sum_rate_qubo(ch: Channels) -> qb.Model:
    """QUBO-shaped: maximize sum_k r_k(l_k) - sum_{k != j} loss_kj(l_k, l_j) over one-hot levels,
    with ``r`` the interference-free rate and ``loss`` the rate link j's power takes from k."""
    K, L = ch.K, len(ch.levels)
    P = ch.levels
    direct = np.diag(ch.G)
    r = np.log2(1 + direct[:, None] * P[None, :] / ch.noise)  # (K, L)
    # loss[k, l, j, l2]: rate of k at level l lost to j at level l2 alone
    interf = ch.G[:, None, :, None] * P[None, None, None, :]  # (K, 1, K, L)
    with_j = np.log2(1 + direct[:, None, None, None] * P[None, :, None, None] / (ch.noise + interf))
    loss = r[:, :, None, None] - with_j
    loss[np.arange(K), :, np.arange(K), :] = 0.0
    m = qb.Model("ran-sum-rate")
    x = m.binary("x", (K, L))
    m.add(x.sum(axis=1) == 1, name="one-level")
    xf = x.reshape(K * L)
    quad = (xf @ loss.reshape(K * L, K * L)) * xf  # elementwise, then sum
    m.maximize((r * x).sum() - quad.sum())
    m.channels = ch
    return m


def interpret_power(model: qb.Model, result) -> dict:
    """The power allocation a result encodes.

    Returns
    -------
    dict
        ``level`` (K,) int, ``power`` (K,) W, ``sinr`` (K,) linear, ``sum_rate`` bit/s/Hz and
        ``total_power`` W.
    """
    ch = model.channels
    if "level" in result.values:
        level = np.asarray(result.values["level"]).astype(int)
    else:
        level = np.asarray(result.values["x"]).argmax(axis=1)
    p = ch.levels[level]
    return {"level": level, "power": p, "sinr": sinr(ch, p), "sum_rate": sum_rate(ch, p), "total_power": float(p.sum())}


def check_power(ch: Channels, p: np.ndarray, gamma=None, tol: float = 1e-9) -> list[str]:
    """Independent check (no DSL): powers are allowed levels and, if given, SINR targets hold."""
    p = np.asarray(p, float)
    problems = []
    off = ~np.isclose(p[:, None], ch.levels[None, :], rtol=1e-12, atol=0).any(axis=1)
    if off.any():
        problems.append(f"link {int(np.flatnonzero(off)[0])} uses a power that is not a level")
    if gamma is not None:
        s = sinr(ch, p)
        g = np.broadcast_to(np.asarray(gamma, float), s.shape)
        bad = np.flatnonzero(s < g * (1 - tol))
        if len(bad):
            problems.append(f"link {int(bad[0])} has SINR {s[bad[0]]:.4g} < target {g[bad[0]]:.4g}")
    return problems


def max_power(ch: Channels) -> np.ndarray:
    """Baseline: every link at full power."""
    return np.full(ch.K, ch.levels[-1])


def wmmse(ch: Channels, iterations: int = 200, tol: float = 1e-9) -> np.ndarray:
    """Baseline: WMMSE power allocation (continuous powers in [0, p_max])."""
    h = np.sqrt(ch.G)
    hd = np.diag(h)
    vmax = np.sqrt(ch.levels[-1])
    v = np.full(ch.K, vmax)
    for _ in range(iterations):
        u = hd * v / ((h**2) @ (v**2) + ch.noise)
        w = 1.0 / np.maximum(1 - u * hd * v, 1e-12)
        v_new = np.clip(w * u * hd / ((h**2).T @ (w * u**2)), 0, vmax)
        if np.max(np.abs(v_new - v)) < tol * vmax:
            v = v_new
            break
        v = v_new
    return v**2


def compare_baselines(ch: Channels, backend: str = "exact", seed: int = 0, **options) -> dict:
    """Sum rate (bit/s/Hz) of the QUBO surrogate's answer, every link at full power, and WMMSE."""
    model = sum_rate_qubo(ch)
    ans = interpret_power(model, qb.solve(model, backend=backend, seed=seed, **options))
    return {
        "qubo": ans["sum_rate"],
        "max_power": sum_rate(ch, max_power(ch)),
        "wmmse": sum_rate(ch, wmmse(ch)),
        "qubo_levels": ans["level"],
    }
