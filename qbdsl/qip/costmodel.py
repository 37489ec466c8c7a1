"""A fitted cost model: per backend, the distribution of its wall time and of its quality at a
deadline, as functions of the instance :class:`~qbdsl.qip.features.Features` and the deadline.

It trains on run rows in the schema of :data:`qbdsl.qip.calibrate.ROW_COLUMNS` (``family,
instance, deadline, backend, seconds, objective, feasible, status, best_known, quality`` and
every feature prefixed ``f_``), as written by ``qbdsl calibrate`` and by the benchmark harness.

The model, and why this one
---------------------------
Both parts are regularized linear models on the same few interpretable inputs
(:data:`INPUTS`: log sizes, density, penalty scale, coefficient range, constraint counts, the
log deadline), standardized per backend. They are fitted with numpy/scipy and stored as their
coefficients in JSON: no pickle, nothing that breaks across library versions, and a prediction
is one dot product per part (a few microseconds per backend).

* **Time** — a censored-normal (Tobit) regression of the log wall time. The deadline is the
  dominant effect: a run cut by its time limit (status ``time_limit``, or
  ``seconds >= 0.9 * deadline``) tells only that the backend's *natural* time is longer. Plain
  least squares (or a gradient-boosted regressor) on such rows learns the deadline instead
  of the backend; Tobit treats them as lower bounds. The residual spread ``sigma`` is fitted
  with the coefficients, so the natural time is log-normal with median ``exp(mu)`` and 90th
  percentile ``exp(mu + 1.2816 sigma)``. The observed time is the natural time when it is
  below the deadline, else the deadline times an *overshoot ratio* drawn from what the
  backend's cut runs measured (stored as 21 quantiles); a backend never seen cut (it ignores
  the limit) keeps its natural time. ``p_meet_deadline`` is ``P(observed <= deadline * (1 +
  SLACK))``. scikit-learn has no censored regression, which is why it is not used here.
* **Quality** — a fractional-logit regression (binomial quasi-likelihood, ridge penalty) of the
  quality in [0, 1] at the deadline, with one more input: ``finish_z``, how many residual
  spreads the deadline lies above the predicted median time (clipped to [-4, 4]). Its mean is
  in [0, 1] by construction; its spread is the quasi-binomial ``sqrt(phi * mu * (1 - mu))``
  with the Pearson dispersion ``phi``; ``quality_low`` is ``mean - 1.2816 * spread`` (a 10th
  percentile), clipped to 0.

The structural prior
--------------------
Each backend with a shipped profile (:func:`qbdsl.qip.profiles.default_profiles`; a variant
``"<backend>+<variant>"`` uses its backend's with the variant's options) gets two more inputs:
the log of the profile's time law (exact's ``a + b 2^n``, QAOA's statevector work, annealing's
spin updates, OR-Tools' linearized MILP size) and the logit of the profile's quality at the
deadline (:func:`prior`). The log profile time is also an *offset* of the time regression, so
the fit calibrates the law (a factor, and corrections) instead of learning it from the rows'
size range; that is what extrapolates from 8-14 binaries to 24, or from training families
without an exponential-cost backend's rows. Then:

* a backend with fewer than :data:`MIN_ROWS` usable rows is the profile alone
  (:func:`prior_model`: spread :data:`PRIOR_SIGMA`, dispersion :data:`PRIOR_DISPERSION`);
* outside the range of its training rows, a fitted backend's fitted terms give way to the
  profile by the weight ``1 - exp(-d)``, ``d`` the summed distance beyond the range in units
  of the inputs' scales (:meth:`BackendModel.prior_weight`): a heuristic fitted on small
  knapsacks is not trusted on a MIPLIB model with integer columns;
* standardization scales have a floor :data:`MIN_SCALE`, so an input that barely varies in the
  rows does not get a huge coefficient in its own units;
* a MILP backend (its profile accepts ``milp``) does not see the penalty QUBO's shape inputs
  (binaries, couplers, density, degree, slack share): it solves the MILP compile.

Which rows train
----------------
Only rows of runs in which the backend took the instance train it (:func:`taken`): not
``cannot: ...``, and not an error other than a time-limit refusal (``BackendError: at least
500 binaries``, ``UnsupportedTermError: continuous variable``: facts the features may miss, not
measurements). A time-limit refusal (``error: TimeLimitError``: a start-up cost or one read
that does not fit) is a censored row: the backend's natural time exceeds the deadline. Rows on
instances the backend's takes rule refuses do not train either (no prediction reaches them).
A prediction for an instance a backend cannot take (a QUBO-only backend on a model with
continuous variables, or beyond its ``max_variables``) says so instead of guessing.

What was tuned on what: :data:`MIN_SCALE`, :data:`PRIOR_SIGMA`, :data:`PRIOR_DISPERSION` and
the prior-weight law were set once from the profiles' documented accuracy and from the
failure analysis of the leave-one-family-out runs in ``scripts/qip_heldout.py`` (which
families' choices went wrong, and why); no constant was fitted to a held-out family's rows,
and each fold's regression sees only the other families.

:func:`evaluate` reports the prediction errors and the decision score leaving whole instance
families out (fit on the other families, score on the held-out one).
"""

from __future__ import annotations

import csv
import functools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, ModelError

FORMAT = "qbdsl-costmodel"
VERSION = 2
SLACK = 0.05  # a run "meets" deadline d when it returns by d * (1 + SLACK), as the experiment's oracle
CUT_FRACTION = 0.9  # a run at >= 0.9 * deadline is taken as cut by its time limit
Z90 = 1.2815515655446004  # standard normal 90th percentile
_PROBS = np.linspace(0.0, 1.0, 21)  # quantile grid of the overshoot ratios
SGM_SHIFT = 0.01  # seconds: the shift of the shifted geometric mean of times (shifted_geomean)
# what evaluate charges the cost model's prediction and the rule (the features are charged from the
# runs): decide(..., include_remote=False) less features(), 2-core VM, 2026-12-01, measured at a
# median of 1.6 ms (p90 2.1 ms) on the seventh split's instances and by the review at 2.2-2.7 ms
# (p90 3.0-3.3 ms) on test7's and the dev suite's: charged about the p90, not the median, so
# that the simulation does not flatter QIP; 1 ms before
DECISION_SECONDS = 3e-3
MIN_ROWS = 3  # fewer rows than this for a backend: it is not fitted (its profile predicts it)
MIN_SCALE = 0.25  # floor of an input's standardization scale (the inputs are logs and shares)

# feature columns the inputs use (without the f_ prefix)
FEATURES_USED = (
    "n_variables",
    "n_binary",
    "n_integer",
    "n_constraints",
    "n_equality",
    "qubo_ok",
    "qubo_binaries",
    "qubo_couplers",
    "qubo_density",
    "coefficient_range",
    "penalty_scale",
    "milp_variables",
    "milp_nonzeros",
    "max_degree",
)
INPUTS = (
    "log_variables",  # log max(1, n_variables)
    "log_qubo_binaries",  # log max(1, qubo_binaries)
    "qubo_binaries_to_64",  # min(qubo_binaries, 64) / 10: exponential-cost backends (exact, QAOA)
    "log_states_over_2^10",  # log(1 + 2^(min(qubo_binaries, 64) - 10)): hinges of a + b 2^n
    "log_states_over_2^20",  # log(1 + 2^(min(qubo_binaries, 64) - 20))
    "log_couplers",  # log(1 + qubo_couplers)
    "qubo_density",
    "log_milp_nonzeros",  # log(1 + milp_nonzeros)
    "log_products_per_variable",  # log(1 + (milp_variables - n_variables) / n_variables): MILP linearization
    "log_constraints",  # log(1 + n_constraints)
    "integer_share",  # n_integer / n_variables
    "log_penalty_scale",  # log(1 + penalty_scale)
    "log_coefficient_range",  # log max(1, coefficient_range)
    "log_max_degree",  # log(1 + max_degree)
    "log_deadline",  # log deadline (seconds)
    "slack_share",  # (qubo_binaries - n_variables) / qubo_binaries: slack and integer-encoding bits of the QUBO
    "equality_share",  # n_equality / n_constraints (0 without constraints): one-hot rows vs slack-bearing ones
    "log_prior_time",  # log of the backend's shipped profile time (profiles.Profile.predict_time); 0 without one
    "prior_quality_logit",  # logit of the profile's quality at the deadline (clipped to [0.001, 0.999]); 0 without one
)
PRIOR_SIGMA = 1.0  # log-time spread of a prior-only backend (the profiles' laws are within e^1 where measured)
PRIOR_DISPERSION = 0.25  # quality dispersion of a prior-only backend
_STR_COLUMNS = ("family", "instance", "backend", "status")
_NUM_COLUMNS = ("deadline", "seconds", "quality")


# ---- rows ------------------------------------------------------------------------------------


def _as_float(value, column: str, where: str) -> float:
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "false"):
            return 1.0 if v == "true" else 0.0
        if v in ("", "nan", "none", "null"):
            return math.nan
        try:
            return float(v)
        except ValueError:
            raise ModelError(f"cost-model rows: column {column!r} of {where} is not a number: {value!r}") from None
    if value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ModelError(f"cost-model rows: column {column!r} of {where} is not a number: {value!r}") from None


def _optional_float(v) -> float:
    """A number from an optional column: NaN when missing, empty or not a number."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def read_rows(rows, extra: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Cost-model rows as columns: strings for family/instance/backend/status, floats otherwise.

    Parameters
    ----------
    rows : list of dict, or str or Path
        Rows in the :data:`qbdsl.qip.calibrate.ROW_COLUMNS` schema, or a CSV file of them
        (compressed by suffix is fine). Booleans may be ``True``/``False`` or ``1``/``0``.
    extra : sequence of str
        More columns to require and return (e.g. a grouping column), read as strings.

    Returns
    -------
    dict of str to ndarray
        One array of length ``m`` (the number of rows) per column used: ``family, instance,
        backend, status`` (str), ``deadline, seconds, quality`` (float) and ``f_<feature>`` for
        each of :data:`FEATURES_USED` (float). Rows of backend ``"qip"`` (the policy's own
        end-to-end runs, :data:`qbdsl.qip.benchmark.QIP`) are skipped: no backend is fitted on them.

    Raises
    ------
    ModelError
        No rows, a required column missing (named, with the first row or the file lacking
        it), or a value that is not a number.
    FileFormatError
        The CSV file cannot be read.
    """
    source = "rows"
    if isinstance(rows, (str, Path)):
        from ..io.atomic import read_text

        source = str(rows)
        text = read_text(rows)
        rows = list(csv.DictReader(text.splitlines()))
    else:
        rows = list(rows)
    rows = [r for r in rows if not (isinstance(r, Mapping) and r.get("backend") == "qip")]  # QIP's own runs
    if not rows:
        raise ModelError(f"cost-model rows: {source} has no rows")
    strs = tuple(_STR_COLUMNS) + tuple(c for c in extra if c not in _STR_COLUMNS)
    nums = tuple(_NUM_COLUMNS) + tuple(f"f_{f}" for f in FEATURES_USED)
    for i, r in enumerate(rows):
        if not isinstance(r, Mapping):
            raise ModelError(f"cost-model rows: row {i} of {source} is a {type(r).__name__}, not a dict")
        for c in strs + nums:
            if c not in r:
                raise ModelError(f"cost-model rows: column {c!r} missing (row {i} of {source})")
    out: dict[str, np.ndarray] = {c: np.array([str(r[c]) for r in rows], dtype=object) for c in strs}
    for c in nums:
        out[c] = np.array([_as_float(r[c], c, f"row {i} of {source}") for i, r in enumerate(rows)], float)
    # optional: the features' time of the instance (the benchmark harness's column); NaN without it
    out["feature_seconds"] = np.array([_optional_float(r.get("feature_seconds")) for r in rows], float)
    # optional: the part of it that lowered a Model to its Problem (qb.solve does that once for the
    # features and the backend, and a backend's own run time contains it); NaN without it
    out["lower_seconds"] = np.array([_optional_float(r.get("lower_seconds")) for r in rows], float)
    bad = ~(np.isfinite(out["deadline"]) & (out["deadline"] > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ModelError(
            f"cost-model rows: column 'deadline' of row {i} of {source} must be positive, got {out['deadline'][i]}"
        )
    return out


def _feature_columns(f) -> dict[str, np.ndarray]:
    """One instance's features (a Features, or a mapping with or without the f_ prefix) as columns."""
    if hasattr(f, "as_dict"):
        f = f.as_dict()
    if not isinstance(f, Mapping):
        raise ModelError(f"cost model: features must be a Features or a dict, got a {type(f).__name__}")
    cols = {}
    for name in FEATURES_USED:
        key = name if name in f else f"f_{name}"
        if key not in f:
            raise ModelError(f"cost model: feature {name!r} missing")
        cols[f"f_{name}"] = np.array([_as_float(f[key], name, "the features")], float)
    return cols


def _finite(values) -> np.ndarray:
    """``np.nan_to_num`` of a float array, without its cost when every value is finite (a
    decision reads a few dozen one-row columns: their conversion was a tenth of its time)."""
    a = np.asarray(values, float)
    return a if np.isfinite(a).all() else np.nan_to_num(a)


def design(cols: Mapping[str, np.ndarray], deadline: np.ndarray, backend: str | None = None) -> np.ndarray:
    """The model inputs (:data:`INPUTS`), shape (m, len(INPUTS)), from feature columns
    (``f_<name>`` arrays of length m) and deadlines in seconds (length m).

    The last two inputs are the structural prior of ``backend`` (:func:`prior`): the log of its
    shipped profile's time and the logit of its profile's quality at the deadline; both 0
    when ``backend`` is None or has no shipped profile."""
    return _with_prior(_design_base(cols, deadline), cols, deadline, backend)


def _with_prior(base: np.ndarray, cols: Mapping[str, np.ndarray], deadline, backend: str | None) -> np.ndarray:
    """:func:`design` from the backend-independent inputs ``base`` (:func:`_design_base`): the
    prior's two columns filled in, a MILP solver's QUBO-shape inputs zeroed (a copy)."""
    X = base.copy()
    if backend is None:
        return X
    deadline = np.broadcast_to(np.asarray(deadline, float), X.shape[:1])
    pri = prior(cols, deadline, backend)
    if pri is not None:
        X[:, -2], X[:, -1] = pri
    if _milp_backend(backend):
        X[:, _QUBO_SHAPE] = 0.0  # a MILP solver never sees the penalty QUBO: its shape is no input of it
    return X


def _design_base(cols: Mapping[str, np.ndarray], deadline) -> np.ndarray:
    """:func:`design` without a backend: the prior's two columns 0."""
    g = lambda n: _finite(cols[f"f_{n}"])  # noqa: E731
    qb = np.where(g("qubo_ok") > 0, g("qubo_binaries"), 0.0)
    nvar = np.maximum(g("n_variables"), 1.0)
    deadline = np.broadcast_to(np.asarray(deadline, float), nvar.shape)
    zero = np.zeros_like(nvar)
    return np.stack(
        [
            np.log(nvar),
            np.log(np.maximum(qb, 1.0)),
            np.minimum(qb, 64.0) / 10.0,
            np.logaddexp(0.0, (np.minimum(qb, 64.0) - 10.0) * math.log(2.0)),
            np.logaddexp(0.0, (np.minimum(qb, 64.0) - 20.0) * math.log(2.0)),
            np.log1p(np.maximum(g("qubo_couplers"), 0.0)),
            g("qubo_density"),
            np.log1p(np.maximum(g("milp_nonzeros"), 0.0)),
            np.log1p(np.maximum(g("milp_variables") - g("n_variables"), 0.0) / nvar),
            np.log1p(np.maximum(g("n_constraints"), 0.0)),
            g("n_integer") / nvar,
            np.log1p(np.maximum(g("penalty_scale"), 0.0)),
            np.log(np.clip(g("coefficient_range"), 1.0, 1e300)),
            np.log1p(np.maximum(g("max_degree"), 0.0)),
            np.log(deadline),
            np.maximum(qb - g("n_variables"), 0.0) / np.maximum(qb, 1.0),
            g("n_equality") / np.maximum(g("n_constraints"), 1.0),
            zero,
            zero,
        ],
        axis=1,
    )


_QUBO_SHAPE = [INPUTS.index(n) for n in ("log_qubo_binaries", "qubo_binaries_to_64", "log_states_over_2^10",
               "log_states_over_2^20", "log_couplers", "qubo_density", "log_max_degree", "slack_share")]  # fmt: skip


def _milp_backend(backend: str) -> bool:
    """Whether a backend's shipped profile takes MILPs (it solves the MILP compile, not the QUBO)."""
    p = prior_profile(backend)[0]
    return p is not None and "milp" in p.accepts


_PRIOR_FEATURES = ("n_variables", "n_binary", "n_integer", "qubo_ok", "qubo_binaries", "qubo_couplers",
                   "penalty_scale", "milp_variables", "milp_nonzeros")  # fmt: skip
I_PRIOR_TIME = INPUTS.index("log_prior_time")
I_PRIOR_QUALITY = INPUTS.index("prior_quality_logit")
_LOG_TIME_CAP = 700.0  # log seconds: an exponential law past float range (exact on 10 000 binaries)


def prior_profile(backend: str):
    """The shipped profile and options a backend's prior uses: ``(Profile, options)``, or
    ``(None, {})`` for a backend without one.

    A plain backend uses its :func:`qbdsl.qip.profiles.default_profiles` entry with its default
    work (``DEFAULT_WORK``); a variant ``"<backend>+<variant>"`` of
    :data:`qbdsl.qip.variants.VARIANTS` its backend's profile with the variant's options. The
    shipped profiles, not a user's calibrated file: a saved model predicts the same everywhere.
    """
    p, opts = _prior_profile(backend)
    return p, dict(opts)


@functools.cache
def _prior_profile(backend: str):
    """:func:`prior_profile`, once per backend (the shipped profiles do not change in a process; a
    decision asked for it 24 times, a tenth of its time)."""
    from .profiles import default_profiles
    from .variants import VARIANTS, solve_options

    if "+" in backend and backend not in VARIANTS:
        return None, {}
    base, opts = solve_options(backend)
    p = default_profiles().get(base)
    return (p, opts) if p is not None else (None, {})


def prior(cols: Mapping[str, np.ndarray], deadline: np.ndarray, backend: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The structural prior of ``backend`` on each row: ``(log_time, quality_logit)``, each shape (m,).

    ``log_time`` is the log of its shipped profile's time law (:meth:`Profile.predict_time
    <qbdsl.qip.profiles.Profile.predict_time>`: exact's ``a + b 2^n``, QAOA's statevector
    work, annealing's spin updates, OR-Tools' linearized size), capped at 700;
    ``quality_logit`` the logit of :meth:`Profile.predict_quality
    <qbdsl.qip.profiles.Profile.predict_quality>` at the row's deadline, clipped to
    [0.001, 0.999]. None when the backend has no shipped profile (:func:`prior_profile`).
    One Python call per row: fitting is not a hot path, a prediction is one row.
    """
    from types import SimpleNamespace

    p, opts = prior_profile(backend)
    if p is None:
        return None
    m = len(np.asarray(deadline))
    vals = {n: _finite(cols[f"f_{n}"]) for n in _PRIOR_FEATURES}
    lt, ql = np.empty(m), np.empty(m)
    for k in range(m):
        f = SimpleNamespace(**{n: float(vals[n][k]) for n in _PRIOR_FEATURES})
        f.qubo_ok = f.qubo_ok > 0
        if not f.qubo_ok:
            f.qubo_binaries, f.qubo_couplers = 0.0, 0.0
        try:
            t = p.predict_time(f, opts)
            lt[k] = math.log(t) if t > 0 else -_LOG_TIME_CAP
        except OverflowError:
            lt[k] = _LOG_TIME_CAP
        try:
            q = p.predict_quality(f, float(deadline[k]))
        except OverflowError:
            q = 0.0
        q = min(max(q, 1e-3), 1.0 - 1e-3)
        ql[k] = math.log(q / (1.0 - q))
    return np.minimum(lt, _LOG_TIME_CAP), ql


def refused_for_time(status: np.ndarray) -> np.ndarray:
    """Whether each run was refused because its work could not fit the time limit (status
    ``error: TimeLimitError...``, or ``time_limit: <message>`` as :func:`qbdsl.cli.policy.read_run_rows`
    writes it: a fixed start-up cost above the deadline, one read that does not fit): a run that
    returned with nothing, whose natural time exceeds its deadline. A run cut at its limit has
    the bare status ``time_limit``."""
    return np.array([str(s).startswith(("error: TimeLimitError", "time_limit:")) for s in status], bool)


def taken(status: np.ndarray) -> np.ndarray:
    """Whether each run's backend took the instance: its status is not ``cannot: ...`` nor an
    error other than a time-limit refusal (``error: BackendError: exact: at least 500
    binaries``, ``error: UnsupportedTermError: continuous variable``: the backend cannot take
    the model, a fact the features may miss, not a measurement of its time or quality)."""
    st = [str(s) for s in status]
    return np.array(
        [not (s.startswith("cannot") or (s.startswith("error:") and not s.startswith("error: TimeLimitError")))
         for s in st],
        bool,
    )  # fmt: skip


def cut(status: np.ndarray, seconds: np.ndarray, deadline: np.ndarray) -> np.ndarray:
    """Whether each run was cut by its time limit: status ``time_limit...``, a time-limit
    refusal (:func:`refused_for_time`), or ``seconds >= CUT_FRACTION * deadline``."""
    by_status = np.array([str(s).startswith("time_limit") for s in status], bool) | refused_for_time(status)
    return by_status | (np.nan_to_num(seconds, nan=0.0) >= CUT_FRACTION * deadline)


# ---- fitting ---------------------------------------------------------------------------------


def _fit_tobit(X: np.ndarray, y: np.ndarray, censored: np.ndarray, ridge: float) -> tuple[np.ndarray, float, float]:
    """Censored-normal regression: ``y = b0 + X w + sigma * eps``; censored rows are lower bounds.

    Returns (w, b0, sigma); ridge penalizes ``w`` (standardized inputs) and, 1000x weaker, the
    intercept's distance from mean(y) (it keeps an all-censored backend finite).
    """
    from scipy.optimize import minimize
    from scipy.special import log_ndtr

    m, k = X.shape
    y0 = float(np.mean(y))
    unc = ~censored
    lam0 = ridge * 1e-3

    def nll(theta):
        w, b0, ls = theta[:k], theta[k], theta[k + 1]
        s = math.exp(min(max(ls, -30.0), 30.0))  # a line search may try any step
        mu = b0 + X @ w
        # |z| beyond 1e6 changes nothing the optimum sees, and keeps z^2 and the Mills ratio finite
        z = np.clip((y - mu) / s, -1e6, 1e6)
        f = 0.0
        gmu = np.zeros(m)
        gls = 0.0
        if unc.any():
            zu = z[unc]
            f += float(np.sum(ls + 0.5 * zu**2))
            gmu[unc] = -zu / s
            gls += float(np.sum(1.0 - zu**2))
        if censored.any():
            zc = z[censored]
            lc = log_ndtr(-zc)  # log P(natural > bound)
            f -= float(np.sum(lc))
            h = np.exp(-0.5 * zc**2 - 0.5 * math.log(2 * math.pi) - lc)  # inverse Mills ratio
            gmu[censored] = -h / s
            gls += float(np.sum(-h * zc))
        f += 0.5 * ridge * float(w @ w) + 0.5 * lam0 * (b0 - y0) ** 2
        # a weak prior keeps sigma away from 0 and infinity (log sigma ~ N(log 0.3, 2^2))
        f += 0.5 * ((ls - math.log(0.3)) / 2.0) ** 2
        gls += (ls - math.log(0.3)) / 4.0
        gw = X.T @ gmu + ridge * w
        gb = float(gmu.sum()) + lam0 * (b0 - y0)
        return f, np.concatenate([gw, [gb, gls]])

    theta0 = np.zeros(k + 2)
    theta0[k] = y0
    theta0[k + 1] = math.log(max(float(np.std(y)), 0.05))
    res = minimize(nll, theta0, jac=True, method="L-BFGS-B")
    th = res.x
    return th[:k], float(th[k]), float(math.exp(th[k + 1]))


def _fit_logit(X: np.ndarray, q: np.ndarray, ridge: float) -> tuple[np.ndarray, float, float]:
    """Fractional logit: ``E[q] = sigmoid(b0 + X w)``, binomial quasi-likelihood with a ridge on w.

    Returns (w, b0, dispersion); dispersion is Pearson's ``sum (q - mu)^2 / (mu (1 - mu))``
    over ``m - k - 1`` degrees of freedom (at least 1e-3).
    """
    from scipy.optimize import minimize
    from scipy.special import expit

    m, k = X.shape

    def nll(theta):
        w, b0 = theta[:k], theta[k]
        eta = b0 + X @ w
        # -[q log p + (1-q) log(1-p)] = log(1 + e^eta) - q eta
        f = float(np.sum(np.logaddexp(0.0, eta) - q * eta)) + 0.5 * ridge * float(w @ w)
        r = expit(eta) - q
        return f, np.concatenate([X.T @ r + ridge * w, [r.sum()]])

    qm = float(np.clip(q.mean(), 1e-3, 1 - 1e-3))
    theta0 = np.zeros(k + 1)
    theta0[k] = math.log(qm / (1 - qm))
    th = minimize(nll, theta0, jac=True, method="L-BFGS-B").x
    mu = expit(th[k] + X @ th[:k])
    var = np.maximum(mu * (1 - mu), 1e-3)
    phi = float(np.sum((q - mu) ** 2 / var) / max(1, m - k - 1))
    return th[:k], float(th[k]), max(phi, 1e-3)


@dataclass
class BackendModel:
    """One backend's fitted time and quality models (see the module docstring).

    Attributes
    ----------
    backend : str
    rows : int
        Training rows (runs in which it took the instance).
    mean, scale : ndarray, shape (len(INPUTS),)
        Standardization of the inputs (scale 1 for a constant input).
    time_coef : ndarray, shape (len(INPUTS),)
        Log-time coefficients on the standardized inputs; ``time_intercept`` in log seconds.
    time_sigma : float
        Residual spread of the natural log time.
    overshoot : ndarray of shape (21,) or None
        Quantiles (at 0, 0.05, ..., 1) of ``seconds / deadline`` over its cut runs; None when
        it was never cut (it ignores time limits, or was never short of time).
    quality_coef : ndarray, shape (len(INPUTS) + 1,)
        Logit coefficients on the standardized inputs and ``finish_z``.
    quality_dispersion : float
    qubo_only : bool
        It takes QUBOs only (an instance must have ``qubo_ok``).
    max_variables : int or None
        The most QUBO binaries it takes.
    prior : bool
        Its log time is its shipped profile's (input ``log_prior_time``, an offset) plus the
        fitted terms: the fit calibrates the profile's law; False for a backend without a
        profile (the offset is 0).
    prior_only : bool
        No fit: too few rows (fewer than :data:`MIN_ROWS`), so the profile's time (spread
        :data:`PRIOR_SIGMA`) and quality (dispersion :data:`PRIOR_DISPERSION`) are the
        prediction.
    low, high : ndarray of shape (len(INPUTS),) or None
        The range of each raw input over the training rows. Outside it (:meth:`extrapolation`)
        the fitted terms give way to the prior (:meth:`prior_weight`).
    """

    backend: str
    rows: int
    mean: np.ndarray
    scale: np.ndarray
    time_coef: np.ndarray
    time_intercept: float
    time_sigma: float
    overshoot: np.ndarray | None
    quality_coef: np.ndarray
    quality_intercept: float
    quality_dispersion: float
    qubo_only: bool
    max_variables: int | None
    prior: bool = False
    prior_only: bool = False
    low: np.ndarray | None = None
    high: np.ndarray | None = None

    def to_json(self) -> dict:
        """Plain JSON-ready dict (floats round-trip exactly)."""
        return {
            "rows": self.rows,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "time": {"coef": self.time_coef.tolist(), "intercept": self.time_intercept, "sigma": self.time_sigma},
            "overshoot": None if self.overshoot is None else self.overshoot.tolist(),
            "quality": {
                "coef": self.quality_coef.tolist(),
                "intercept": self.quality_intercept,
                "dispersion": self.quality_dispersion,
            },
            "qubo_only": self.qubo_only,
            "max_variables": self.max_variables,
            "prior": self.prior,
            "prior_only": self.prior_only,
            "low": None if self.low is None else self.low.tolist(),
            "high": None if self.high is None else self.high.tolist(),
        }

    @classmethod
    def from_json(cls, backend: str, d: Mapping) -> BackendModel:
        """Inverse of :meth:`to_json` (KeyError/TypeError/ValueError on a malformed dict)."""
        k = len(INPUTS)
        arr = lambda v, n: np.asarray(v, float).reshape(n)  # noqa: E731
        over = d["overshoot"]
        return cls(
            backend,
            int(d["rows"]),
            arr(d["mean"], k),
            arr(d["scale"], k),
            arr(d["time"]["coef"], k),
            float(d["time"]["intercept"]),
            float(d["time"]["sigma"]),
            None if over is None else arr(over, len(_PROBS)),
            arr(d["quality"]["coef"], k + 1),
            float(d["quality"]["intercept"]),
            float(d["quality"]["dispersion"]),
            bool(d["qubo_only"]),
            None if d["max_variables"] is None else int(d["max_variables"]),
            bool(d["prior"]),
            bool(d["prior_only"]),
            None if d["low"] is None else arr(d["low"], k),
            None if d["high"] is None else arr(d["high"], k),
        )

    def offset(self, X: np.ndarray) -> np.ndarray:
        """The log-time offset of raw inputs X (m, k): the profile's log time, or 0."""
        return X[:, I_PRIOR_TIME] if self.prior else np.zeros(len(X))

    def extrapolation(self, X: np.ndarray) -> np.ndarray:
        """How far each row of raw inputs X (m, k) lies outside the training range: the sum over
        inputs of the distance beyond ``[low, high]`` in units of ``scale``; 0 inside it."""
        if self.low is None or self.high is None:
            return np.zeros(len(X))
        over = np.maximum(np.maximum(X - self.high, self.low - X), 0.0) / self.scale
        return over.sum(axis=1)

    def prior_weight(self, X: np.ndarray) -> np.ndarray:
        """Weight of the prior against the fitted terms per row: ``1 - exp(-extrapolation)``
        for a fitted backend with a profile (0 inside the training range), 0 otherwise.

        A regression is not trusted far from its rows (a heuristic fitted on small knapsacks,
        asked about a MIPLIB model of integer columns and wider coefficients); the profile's
        structural law is what is left to go by there."""
        if not self.prior or self.prior_only:
            return np.zeros(len(X))
        return 1.0 - np.exp(-self.extrapolation(X))

    def log_time(self, X: np.ndarray, w: np.ndarray | None = None, Z: np.ndarray | None = None) -> np.ndarray:
        """Median natural log time for raw inputs X (m, k) (:func:`design` for this backend):
        the profile's offset, the intercept, and the fitted terms (shrunk by
        :meth:`prior_weight` outside the training range). ``w`` and ``Z`` (the prior weight and
        the standardized inputs of X) are computed when not given."""
        w = self.prior_weight(X) if w is None else w
        Z = (X - self.mean) / self.scale if Z is None else Z
        return self.offset(X) + self.time_intercept + (1.0 - w) * (Z @ self.time_coef)

    def finish_z(self, X: np.ndarray, log_deadline: np.ndarray, log_time: np.ndarray | None = None) -> np.ndarray:
        """How many spreads the deadline lies above the median natural time, clipped to [-4, 4]."""
        lt = self.log_time(X) if log_time is None else log_time
        return np.clip((log_deadline - lt) / self.time_sigma, -4.0, 4.0)

    def quality_mean(self, X: np.ndarray, log_deadline: np.ndarray) -> np.ndarray:
        """Expected quality in [0, 1] for raw inputs X (m, k)."""
        return self.laws(X, log_deadline)[1]

    def laws(self, X: np.ndarray, log_deadline: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(log_time, quality_mean, prior_weight)`` of raw inputs X (m, k) in one pass (a
        decision's milliseconds: each law alone computes the weight and the inputs' scaling again)."""
        from scipy.special import expit

        Z = (X - self.mean) / self.scale
        w = self.prior_weight(X)
        lt = self.log_time(X, w, Z)
        fz = self.finish_z(X, log_deadline, lt)
        fitted = self.quality_intercept + Z @ self.quality_coef[:-1] + fz * self.quality_coef[-1]
        return lt, expit((1.0 - w) * fitted + w * X[:, I_PRIOR_QUALITY]), w

    def takes(self, cols: Mapping[str, np.ndarray]) -> tuple[bool, str]:
        """Whether it takes the (single) instance of ``cols``, and why not."""
        if self.qubo_only:
            if cols["f_qubo_ok"][0] <= 0:
                return False, f"{self.backend} takes QUBOs only and this instance cannot be one"
            n = int(cols["f_qubo_binaries"][0])
            if self.max_variables is not None and n > self.max_variables:
                return False, f"{n} binaries exceed the {self.max_variables} {self.backend} takes"
        return True, ""


@dataclass(frozen=True)
class Prediction:
    """One backend's predicted time and quality on one instance at one deadline.

    Attributes
    ----------
    backend : str
    deadline : float
        Seconds.
    takes : bool
        Whether the backend takes the instance; when False the rest is NaN/0 and ``reason`` says why.
    time_median, time_p90 : float
        Median and 90th percentile of the wall time in seconds (the deadline's cut included).
    p_meet_deadline : float
        Probability that the run returns by ``deadline * (1 + SLACK)``.
    p_finish : float
        Probability that it finishes its work before the deadline (is not cut).
    quality_mean : float
        Expected quality at the deadline, in [0, 1] (1 = the best known answer; an answer later
        than ``deadline * (1 + SLACK)`` counts 0).
    quality_low : float
        About the 10th percentile of the quality (``quality_mean - 1.28 * quality_std``, >= 0).
    quality_std : float
    reason : str
    extrapolation : float
        How far the instance and deadline lie outside the backend's training rows
        (:meth:`BackendModel.extrapolation`; 0 inside their range).
    prior_weight : float
        The weight of the shipped profile's prediction against the fitted one (0: the fit
        alone; 1: the profile alone, as for a backend without rows).
    """

    backend: str
    deadline: float
    takes: bool
    time_median: float
    time_p90: float
    p_meet_deadline: float
    p_finish: float
    quality_mean: float
    quality_low: float
    quality_std: float
    reason: str = ""
    extrapolation: float = 0.0
    prior_weight: float = 0.0

    def as_dict(self) -> dict:
        """The prediction as a plain dict."""
        return dict(self.__dict__)


def _check_deadline(deadline) -> float:
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float, np.floating, np.integer)):
        raise ModelError(f"cost model: deadline must be a number of seconds, got {deadline!r}")
    d = float(deadline)
    if not (math.isfinite(d) and d > 0):
        raise ModelError(f"cost model: deadline must be positive and finite, got {deadline!r}")
    return d


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _time_quantiles(
    ps: Sequence[float], mu: float, s: float, deadline: float, over: np.ndarray | None, p_nat: float
) -> list[float]:
    """Quantiles ``ps`` of the observed time, in seconds, increasing in p.

    Without overshoot ratios (a backend never cut) the natural log-normal law
    ``exp(mu + s * z_p)``. Otherwise a mixture: a run that finishes before the deadline
    (probability ``p_nat``) takes its natural time; one cut by it takes the deadline times a
    ratio drawn from ``over`` (the cut runs' quantiles of ``seconds / deadline``). Its CDF
    ``min(Phi((log t - mu) / s), p_nat) + (1 - p_nat) G(t / deadline)`` is inverted on a grid
    of log times. A cut run may return before a natural one (tabu ends its reads a little under
    the limit): reading natural times below ``p_nat`` and cut times above it, as this did
    before, gave a 90th percentile below the median.
    """
    from statistics import NormalDist

    if over is None:
        return [math.exp(mu + s * NormalDist().inv_cdf(min(max(p, 1e-12), 1 - 1e-12))) for p in ps]
    from scipy.special import ndtr

    ld = math.log(deadline)
    lo = min(mu - 6.0 * s, ld + math.log(max(float(over[0]), 1e-9)))
    hi = max(min(mu + 6.0 * s, ld), ld + math.log(max(float(over[-1]), 1e-9)))
    grid = np.linspace(lo, hi, 513)
    cdf = np.minimum(ndtr((grid - mu) / s), p_nat)
    cdf = cdf + (1.0 - p_nat) * np.interp(np.exp(grid - ld), over, _PROBS, left=0.0, right=1.0)
    cdf = np.maximum.accumulate(cdf)
    k = np.minimum(np.searchsorted(cdf, np.asarray(ps, float)), len(grid) - 1)
    return [math.exp(float(g)) for g in grid[k]]


@dataclass
class CostModel:
    """Per-backend time and quality models (:class:`BackendModel`), fitted by :func:`fit`."""

    backends: dict[str, BackendModel]
    meta: dict = field(default_factory=dict)

    def _model(self, backend: str) -> BackendModel:
        if backend not in self.backends:
            raise ModelError(
                f"cost model: unknown backend {backend!r}; it was fitted for {', '.join(sorted(self.backends))}"
            )
        return self.backends[backend]

    def predict(self, features, backend: str, deadline: float) -> Prediction:
        """Predict one backend's time and quality on one instance at one deadline.

        Parameters
        ----------
        features : Features or dict
            The instance's features (:func:`qbdsl.qip.features.features`), or a dict of them
            (names with or without the ``f_`` prefix).
        backend : str
            A backend the model was fitted for.
        deadline : float
            Seconds, positive and finite.

        Returns
        -------
        Prediction

        Raises
        ------
        ModelError
            An unknown backend, a feature missing, or a deadline that is not a positive number.
        """
        bm = self._model(backend)
        return self._predict(bm, _feature_columns(features), _check_deadline(deadline))

    def predict_all(self, features, deadline: float, backends: Sequence[str] | None = None) -> dict[str, Prediction]:
        """:meth:`predict` for every fitted backend (or those named), keyed by backend."""
        names = list(backends) if backends is not None else sorted(self.backends)
        models = [self._model(b) for b in names]
        cols = _feature_columns(features)
        d = _check_deadline(deadline)
        base = _design_base(cols, np.array([d]))  # once for every backend (a decision's milliseconds)
        return {bm.backend: self._predict(bm, cols, d, base) for bm in models}

    def _predict(
        self, bm: BackendModel, cols: Mapping[str, np.ndarray], deadline: float, base: np.ndarray | None = None
    ) -> Prediction:
        ok, why = bm.takes(cols)
        if ok:
            ok, why = _starts_in_time(bm.backend, cols, deadline)
        if not ok:
            nan = math.nan
            return Prediction(bm.backend, deadline, False, nan, nan, 0.0, 0.0, 0.0, 0.0, 0.0, why)
        if base is None:
            base = _design_base(cols, np.array([deadline]))
        X = _with_prior(base, cols, np.array([deadline]), bm.backend)
        ld = math.log(deadline)
        lt, qmean, weight = bm.laws(X, np.array([ld]))
        mu = float(lt[0])
        s = bm.time_sigma
        p_nat = _phi((ld - mu) / s)
        if bm.overshoot is None:
            p_meet = _phi((ld + math.log1p(SLACK) - mu) / s)
        else:
            p_meet = p_nat + (1.0 - p_nat) * float(np.interp(1.0 + SLACK, bm.overshoot, _PROBS, left=0.0, right=1.0))
        t50, t90 = _time_quantiles((0.5, 0.9), mu, s, deadline, bm.overshoot, p_nat)
        qm = float(qmean[0])
        prof = prior_profile(bm.backend)[0]
        if prof is not None and prof.exact:
            # an exact solver that finishes has proved its answer optimal (quality 1): its expected
            # quality is at least P(finish), which the smooth logit shaved (0.992 for enumeration
            # at 14 binaries in 2 ms, so a 20 ms anneal of quality 1.000 won the tie)
            qm = max(qm, p_nat)
        w = float(weight[0])
        phi = (1.0 - w) * bm.quality_dispersion + w * max(bm.quality_dispersion, PRIOR_DISPERSION)
        qs = min(0.5, math.sqrt(phi * qm * (1.0 - qm)))
        return Prediction(
            bm.backend, deadline, True, t50, t90, p_meet, p_nat, qm, max(0.0, qm - Z90 * qs), qs, "",
            float(bm.extrapolation(X)[0]), w,
        )  # fmt: skip

    def coefficients(self, backend: str) -> dict[str, dict[str, float]]:
        """The fitted laws in the inputs' own units: ``{"time": {input: d log t / d input,
        "intercept": ..., "sigma": ...}, "quality": {input: d logit / d input, ...}}``."""
        bm = self._model(backend)
        t = {n: float(c / s) for n, c, s in zip(INPUTS, bm.time_coef, bm.scale, strict=True)}
        t["intercept"] = float(bm.time_intercept - np.sum(bm.time_coef * bm.mean / bm.scale))
        if bm.prior:  # the profile's log time is an offset: its coefficient is 1 + the fitted one
            t["log_prior_time"] += 1.0
        t["sigma"] = bm.time_sigma
        q = {n: float(c / s) for n, c, s in zip(INPUTS, bm.quality_coef[:-1], bm.scale, strict=True)}
        q["finish_z"] = float(bm.quality_coef[-1])
        q["dispersion"] = bm.quality_dispersion
        return {"time": t, "quality": q}

    def to_json(self) -> dict:
        """The model as a JSON-ready dict."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "inputs": list(INPUTS),
            "slack": SLACK,
            "meta": self.meta,
            "backends": {b: m.to_json() for b, m in sorted(self.backends.items())},
        }

    def save(self, path) -> Path:
        """Write the model as JSON, atomically (compressed by suffix: ``.gz``, ``.xz``, ``.bz2``).

        Raises
        ------
        ModelError
            ``path`` cannot be written.
        """
        from ..io.atomic import write_json

        return write_json(path, self.to_json())

    @classmethod
    def load(cls, path) -> CostModel:
        """Read a model written by :meth:`save`.

        Raises
        ------
        FileFormatError
            The file is missing, not JSON, not a qbdsl cost model, of another version or inputs,
            or malformed (the path and what is wrong are named).
        """
        from ..io.atomic import read_text

        text = read_text(path)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FileFormatError(f"not JSON ({exc.msg} at line {exc.lineno})", str(path)) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise FileFormatError("not a qbdsl cost model (no 'format': 'qbdsl-costmodel')", str(path))
        if doc.get("version") != VERSION or doc.get("inputs") != list(INPUTS):
            raise FileFormatError(
                f"cost model version {doc.get('version')!r} with other inputs; "
                f"this qbdsl reads version {VERSION}: refit it",
                str(path),
            )
        try:
            backends = {b: BackendModel.from_json(b, d) for b, d in doc["backends"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FileFormatError(f"malformed cost model ({type(exc).__name__}: {exc})", str(path)) from None
        return cls(backends, dict(doc.get("meta") or {}))


def _starts_in_time(backend: str, cols: Mapping[str, np.ndarray], deadline: float) -> tuple[bool, str]:
    """Whether ``backend``'s own pre-flight rule (:func:`qbdsl.qip.profiles.startup_seconds`)
    and its shipped profile's fixed cost ``a`` let it start within ``deadline``, and why not: a
    backend that would refuse the time limit at once is no candidate, whatever the regression
    says."""
    from .profiles import startup_seconds

    f = _as_features(cols_to_features(cols))
    prof = prior_profile(backend)[0]
    # and the profile's fixed cost (imports, set-up): no regression extrapolates below it
    need = startup_seconds(backend, f) + (prof.a if prof is not None else 0.0)
    if need > deadline:
        return False, (
            f"{backend} would refuse the {deadline:g} s deadline: its own start-up rule needs about {need:.3g} s "
            "before any answer"
        )
    return True, ""


def _as_features(d: Mapping[str, float]):
    """A feature dict (:func:`cols_to_features`) as the attributes the profiles' laws read."""
    from types import SimpleNamespace

    f = SimpleNamespace(**d)
    f.qubo_ok = f.qubo_ok > 0
    return f


def startups(backends, features) -> dict[str, float]:
    """Each backend's seconds before any answer by its own pre-flight rule
    (:func:`qbdsl.qip.profiles.startup_seconds`), from a :class:`~qbdsl.qip.features.Features`
    or its dict (:func:`cols_to_features`)."""
    from .profiles import startup_seconds

    f = _as_features(features) if isinstance(features, Mapping) else features
    return {b: startup_seconds(b, f) for b in backends}


def cols_to_features(cols: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Row ``0`` of feature columns as a ``{name: value}`` dict (the inverse of the column view)."""
    return {name: float(cols[f"f_{name}"][0]) for name in FEATURES_USED}


def _takes_mask(cols: Mapping[str, np.ndarray], qubo_only: bool, max_variables: int | None) -> np.ndarray:
    """Per row, whether a backend with this takes rule takes the instance (as :meth:`BackendModel.takes`)."""
    m = len(cols["f_qubo_ok"])
    if not qubo_only:
        return np.ones(m, bool)
    okq = np.nan_to_num(cols["f_qubo_ok"]) > 0
    if max_variables is not None:
        okq &= np.nan_to_num(cols["f_qubo_binaries"]) <= max_variables
    return okq


def _takes_rule(backend: str, cols: Mapping[str, np.ndarray] | None, ok: np.ndarray | None) -> tuple[bool, int | None]:
    """(qubo_only, max_variables) of a backend: its shipped profile's (a variant's: its
    backend's), else what its rows show."""
    p = prior_profile(backend)[0]
    if p is not None:
        return ("qubo" in p.accepts and "milp" not in p.accepts), p.max_variables
    if cols is None or ok is None:
        return False, None
    qubo_ok = cols["f_qubo_ok"] > 0
    return bool(not (ok & ~qubo_ok).any() and (~ok & ~qubo_ok).any()), None


def fit(rows, backends: Sequence[str] | None = None, ridge: float = 1.0) -> CostModel:
    """Fit a :class:`CostModel` on run rows.

    Parameters
    ----------
    rows : list of dict, or str or Path
        Rows in the :data:`qbdsl.qip.calibrate.ROW_COLUMNS` schema, or a CSV file of them.
    backends : sequence of str, optional
        Backends to fit (default: every backend in the rows with at least :data:`MIN_ROWS`
        runs that took their instance).
    ridge : float, default 1.0
        Ridge penalty on the standardized coefficients of both parts.

    Returns
    -------
    CostModel

    Raises
    ------
    ModelError
        Empty rows, a missing column, a non-numeric value, a named backend absent from the rows
        or with fewer than :data:`MIN_ROWS` usable runs, or no backend left to fit.
    """
    cols = read_rows(rows)
    return _fit_cols(cols, np.arange(len(cols["backend"])), backends, ridge)


def fit_indices(cols: dict[str, np.ndarray], idx: np.ndarray, ridge: float = 1.0) -> CostModel:
    """:func:`fit` on the rows ``idx`` of columns already read (:func:`read_rows`), every
    backend with enough runs: one fold of :func:`evaluate`."""
    return _fit_cols(cols, np.asarray(idx), None, ridge)


def prior_model(
    backend: str, cols: Mapping[str, np.ndarray] | None = None, ok: np.ndarray | None = None
) -> BackendModel:
    """A backend model that is its shipped profile only (``prior_only``): for a backend with
    fewer than :data:`MIN_ROWS` training runs. Its median time is the profile's (spread
    :data:`PRIOR_SIGMA`, never cut: no overshoot measured), its mean quality the profile's at
    the deadline (dispersion :data:`PRIOR_DISPERSION`).

    Raises
    ------
    ModelError
        ``backend`` has no shipped profile (:func:`prior_profile`).
    """
    if prior_profile(backend)[0] is None:
        raise ModelError(f"cost model: backend {backend!r} has no shipped profile to predict from without runs")
    k = len(INPUTS)
    qc = np.zeros(k + 1)
    qc[I_PRIOR_QUALITY] = 1.0
    if cols is None:
        qubo_only, max_vars = _takes_rule(backend, None, None)
    else:
        qubo_only, max_vars = _takes_rule(backend, cols, ok)
    return BackendModel(backend, 0, np.zeros(k), np.ones(k), np.zeros(k), 0.0, PRIOR_SIGMA, None, qc, 0.0,
                        PRIOR_DISPERSION, qubo_only, max_vars, True, True)  # fmt: skip


def _fit_cols(cols: dict[str, np.ndarray], idx: np.ndarray, backends, ridge: float) -> CostModel:
    sub = {k: v[idx] for k, v in cols.items()}
    ok = taken(sub["status"])
    present = sorted(set(sub["backend"]))
    names = list(backends) if backends is not None else present
    out: dict[str, BackendModel] = {}
    for b in names:
        has_prior = prior_profile(b)[0] is not None
        if b not in present and not has_prior:
            raise ModelError(f"cost model: backend {b!r} has no rows (the rows have {', '.join(present)})")
        mine = sub["backend"] == b
        use = mine & ok & np.isfinite(sub["seconds"]) & (sub["seconds"] > 0)
        qubo_only, max_vars = _takes_rule(b, sub, ok & mine)
        # runs on instances the takes rule refuses never train: no prediction reaches them
        # (QAOA's time-limit refusals while compiling a 3 000-binary model say nothing of its
        # statevector law)
        use &= _takes_mask(sub, qubo_only, max_vars)
        if use.sum() < MIN_ROWS:
            if has_prior:  # the profile is the prediction
                out[b] = prior_model(b, sub, ok & mine)
                continue
            if backends is not None:
                raise ModelError(
                    f"cost model: backend {b!r} has {int(use.sum())} usable runs; at least {MIN_ROWS} are needed"
                )
            continue
        mcols = {k: v[use] for k, v in sub.items() if k.startswith("f_")}
        secs, dl = sub["seconds"][use], sub["deadline"][use]
        X = design(mcols, dl, b)
        off = X[:, I_PRIOR_TIME] if has_prior else np.zeros(len(X))
        mean = X.mean(axis=0)
        # an input that barely varies in the rows (2^(n - 20) on 8-14 binaries) is not blown up
        # by the standardization: its ridge-shrunk coefficient would be huge in its own units
        # and wreck the extrapolation the prior's law gets right
        scale = np.maximum(X.std(axis=0), MIN_SCALE)
        Z = (X - mean) / scale
        cens = cut(sub["status"][use], secs, dl)
        # a cut run's natural time is at least its time; a refusal for time says the backend's
        # own estimate exceeded the deadline: its bound is the deadline
        bound = np.where(refused_for_time(sub["status"][use]), dl, np.minimum(secs, dl))
        y = np.log(np.where(cens, bound, secs)) - off
        w, b0, sigma = _fit_tobit(Z, y, cens, ridge)
        over = np.quantile(secs[cens] / dl[cens], _PROBS) if cens.any() else None
        # the target is the quality *at the deadline*: a late answer is worth nothing then
        late = secs > dl * (1 + SLACK)
        q = np.where(late, 0.0, np.clip(np.nan_to_num(sub["quality"][use], nan=0.0), 0.0, 1.0))
        tmp = BackendModel(
            b, int(use.sum()), mean, scale, w, b0, sigma, over, np.zeros(len(INPUTS) + 1), 0.0, 1.0, False, None,
            has_prior,
        )  # fmt: skip
        fz = tmp.finish_z(X, np.log(dl))
        qw, qb0, phi = _fit_logit(np.column_stack([Z, fz]), q, ridge)
        out[b] = BackendModel(
            b, int(use.sum()), mean, scale, w, b0, sigma, over, qw, qb0, phi, qubo_only, max_vars, has_prior, False,
            X.min(axis=0), X.max(axis=0),
        )  # fmt: skip
    if not out:
        raise ModelError(f"cost model: no backend has {MIN_ROWS} or more usable runs in the rows")
    return CostModel(out, {"rows": int(len(idx)), "ridge": ridge})


# ---- evaluation ------------------------------------------------------------------------------


def logo_splits(groups: Sequence) -> Iterator[tuple[np.ndarray, np.ndarray, str]]:
    """Leave-one-group-out splits: ``(train_indices, test_indices, group)`` per group, in sorted
    order; the train indices never hold a row of the held-out group."""
    g = np.asarray([str(x) for x in groups], dtype=object)
    for name in sorted(set(g)):
        test = g == name
        yield np.flatnonzero(~test), np.flatnonzero(test), name


@dataclass
class Evaluation:
    """What :func:`evaluate` measured.

    Attributes
    ----------
    errors : list of dict
        Per backend, over every held-out run it took: ``backend, runs, time_mdlr`` (median
        ``|log(predicted median / measured)|``), ``time_in_band`` (share of runs at or below the
        predicted 90th percentile; 0.9 is calibrated), ``quality_mae`` (against the quality at
        the deadline: 0 for a late run).
    decisions : list of dict
        Per held-out family and ``"all"``, per policy (``qip``, ``qip-parallel``,
        ``always-<backend>``): ``family, policy, cases, quality, time, quality_vs_oracle,
        time_vs_oracle`` (means over (instance, deadline) cases of the quality at the deadline
        and of the ratios to the oracle's) and ``qip_quality`` (qip's mean quality on the same
        cases). A fixed policy is scored on the cases its backend was measured on (all of
        them, unless it was measured on some families only, as a variant may be).
    folds : list of dict
        ``family, train, test`` (row indices) per fold, and ``skipped`` (why no model could be
        fitted without that family; empty when one was).
    cases : list of dict
        Per (instance, deadline): family, instance, deadline, oracle, qip (the backend whose run
        is scored), qip_choice (the rule's first choice), qip_parallel, reason, runs
        (``{backend: (quality at the deadline, seconds)}`` of the runs that took it), proven
        (the runs whose proof of optimality would stop ``qb.solve``'s pair), finished (the runs
        that ended with a proof, status ``optimal``: every other run stopped at its time limit or
        ended without one) and measured (the backends with a row for the case: the rule chooses
        among them).
    """

    errors: list[dict]
    decisions: list[dict]
    folds: list[dict]
    cases: list[dict]

    def table(self) -> str:
        """Both tables as Markdown."""
        lines = [
            "| backend | runs | time: median abs log-ratio | time: share <= predicted p90 | quality MAE |",
            "|---|---:|---:|---:|---:|",
        ]
        for e in self.errors:
            lines.append(
                f"| {e['backend']} | {e['runs']} | {e['time_mdlr']:.3f} | {e['time_in_band']:.3f} "
                f"| {e['quality_mae']:.3f} |"
            )
        lines += [
            "",
            "| held-out family | policy | cases | quality / oracle | time / oracle (mean of ratios) "
            "| total time / oracle's | time / oracle (geometric mean) | time / oracle (shifted geometric mean) |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for d in self.decisions:
            lines.append(
                f"| {d['family']} | {d['policy']} | {d['cases']} | {d['quality_vs_oracle']:.3f} "
                f"| {d['time_vs_oracle']:.3f} | {d.get('time_total_vs_oracle', float('nan')):.3f} "
                f"| {d.get('time_geomean_vs_oracle', float('nan')):.3f} "
                f"| {d.get('time_sgm_vs_oracle', float('nan')):.3f} |"
            )
        return "\n".join(lines)

    def summary(self, family: str = "all") -> dict[str, dict]:
        """``{policy: decision row}`` for one held-out family (default: all of them)."""
        return {d["policy"]: d for d in self.decisions if d["family"] == family}


def oracle_of(runs: dict[str, tuple[float, float]], deadline: float) -> str:
    """The oracle's backend among ``runs`` (backend -> (quality at the deadline, seconds), as
    :func:`_at_deadline` gives them): of the runs in time with a quality above 0, the best
    quality, then the shortest time (of all runs when none is)."""
    in_time = [b for b in runs if runs[b][1] <= deadline * (1 + SLACK) and runs[b][0] > 0]
    return max(in_time or list(runs), key=lambda b: (runs[b][0], -runs[b][1]))


def _at_deadline(q: float, t: float, deadline: float) -> tuple[float, float]:
    """A run's quality at its deadline (0 when late or missing) and its time (the deadline when missing)."""
    if not math.isfinite(t):
        return 0.0, deadline
    return (q if t <= deadline * (1 + SLACK) and math.isfinite(q) else 0.0), t


def evaluate(
    rows,
    groups: str = "family",
    confidence: float = 0.9,
    cores: int = 2,
    ridge: float = 1.0,
    test_rows=None,
    race_ratio: float | None = None,
) -> Evaluation:
    """Leave-one-group-out evaluation of the cost model and of the decision rule.

    For each value of the ``groups`` column (a family, by default), the model is fitted on the
    rows of the other values and scored on that one: per backend, time and quality errors;
    per (instance, deadline) of the held-out family, the choice of
    :func:`qbdsl.qip.uncertain.choose` against the oracle (the best quality at the deadline
    among the runs measured, then the fastest) and against each fixed policy ``always-X``.
    A run's quality at the deadline is 0 when it returned after ``deadline * (1 + SLACK)``,
    failed, or is missing. A choice whose run refused the instance (features can miss why, e.g.
    a slack resolution) is scored by the next backend in the rule's ranking that took it, as
    ``qb.solve``'s fallbacks would run it. ``qip-parallel`` scores the parallel proposals as the better of the
    two runs, at the later of their two times (measured alone: contention is not modelled); the rule
    knows which backends run in threads (:func:`qbdsl.qip.variants.runs_in_thread`) and which in a
    child process of their own (:func:`qbdsl.qip.variants.runs_in_child`).

    Parameters
    ----------
    rows : list of dict, or str or Path
        Run rows (:func:`read_rows`).
    groups : str, default "family"
        The column whose values are held out one at a time.
    confidence : float, default 0.9
        The decision rule's required probability of meeting the deadline.
    cores : int, default 2
        Cores the decision rule may assume for running two backends in parallel.
    ridge : float, default 1.0
        Ridge penalty of each fold's fit (:func:`fit`).
    test_rows : list of dict, or str or Path, optional
        Instead of leaving groups out: fit once on all of ``rows`` and score the cases of
        ``test_rows`` (a frozen test split; its cases keep their own family).
    race_ratio : float, optional
        The decision rule's ``race_ratio`` (default :data:`qbdsl.qip.uncertain.RACE_RATIO`; 0:
        no races, the rule a split was frozen with before races existed).

    Returns
    -------
    Evaluation

    Raises
    ------
    ModelError
        Bad rows (see :func:`read_rows`), the ``groups`` column missing, or fewer than two groups.
    """
    from .uncertain import choose
    from .variants import proves, runs_in_child, runs_in_thread, same_runs

    cols = read_rows(rows, extra=(groups,))
    g = cols[groups]
    if test_rows is not None:
        test = read_rows(test_rows, extra=(groups,))
        n_dev = len(g)
        cols = {k: np.concatenate([cols[k], test[k]]) for k in cols}
        splits = [(np.arange(n_dev), np.arange(n_dev, len(cols["backend"])), "test")]
    elif len(set(g)) < 2:
        raise ModelError(
            f"cost model: leaving one {groups!r} out needs two or more of them, the rows have {len(set(g))}"
        )
    else:
        splits = list(logo_splits(g))
    ok = taken(cols["status"])
    backends_all = sorted(set(cols["backend"]))
    in_thread = {b for b in backends_all if runs_in_thread(b)}
    in_child = {b for b in backends_all if runs_in_child(b)}
    err: dict[str, dict[str, list]] = {b: {"lr": [], "band": [], "qe": []} for b in backends_all}
    folds, cases = [], []
    for train, test, name in splits:
        fold = {"family": name, "train": train, "test": test, "skipped": ""}
        folds.append(fold)
        try:
            model = _fit_cols(cols, train, None, ridge)
        except ModelError as exc:  # the other families hold too few runs of every backend
            fold["skipped"] = str(exc)
            continue
        by_case: dict[tuple[str, float], list[int]] = {}
        for i in test:
            by_case.setdefault((cols["instance"][i], float(cols["deadline"][i])), []).append(int(i))
        for (inst, dl), idx in by_case.items():
            feats = cols_to_features({k: v[idx[:1]] for k, v in cols.items() if k.startswith("f_")})
            # what qb.solve pays before any backend runs: the instance's features (measured
            # with the runs) and the prediction (DECISION_SECONDS), less the lowering of a Model,
            # which the backend's measured run contains and qb.solve does once for both (a file
            # without lower_seconds is charged it twice: its figures are pessimistic there)
            feat_s = float(np.nan_to_num(cols["feature_seconds"][idx[0]], nan=0.0))
            lower_s = float(np.nan_to_num(cols["lower_seconds"][idx[0]], nan=0.0))
            decision_s = DECISION_SECONDS + max(feat_s - lower_s, 0.0)
            measured = sorted({str(cols["backend"][i]) for i in idx})
            # the rule chooses among the backends measured on this case (a backend measured on
            # some families only, e.g. a variant, cannot be scored where it has no run)
            preds = model.predict_all(feats, dl, [b for b in measured if b in model.backends])
            runs = {}
            for i in idx:
                b = cols["backend"][i]
                if not ok[i]:
                    continue
                runs[b] = _at_deadline(float(cols["quality"][i]), float(cols["seconds"][i]), dl)
                p = preds.get(b)
                if p is not None and p.takes and math.isfinite(cols["seconds"][i]) and cols["seconds"][i] > 0:
                    err[b]["lr"].append(abs(math.log(p.time_median / cols["seconds"][i])))
                    err[b]["band"].append(cols["seconds"][i] <= p.time_p90)
                    err[b]["qe"].append(abs(p.quality_mean - runs[b][0]))
            if not runs:
                continue
            # a proof stops qb.solve's pair only when the solver's problem has the user's objective:
            # a MILP solver's, or a QUBO backend's on an instance without penalty rows
            no_penalty = float(cols["f_n_constraints"][idx[0]]) == 0
            # runs that ended on their own with a proof (given less time they might not end in time);
            # the proven ones among them, whose proof stops qb.solve's pair
            finished = sorted(
                str(cols["backend"][i]) for i in idx
                if ok[i] and str(cols["status"][i]).startswith("optimal") and str(cols["backend"][i]) in runs
            )  # fmt: skip
            proven = [b for b in finished if _milp_backend(b) or no_penalty]
            oracle = oracle_of(runs, dl)
            same = same_runs(float(feats["n_constraints"]), float(feats["n_integer"]))
            provers = {b for b in preds if proves(b, float(feats["n_constraints"]), float(feats["n_integer"]))}
            ch = choose(
                preds, dl, confidence=confidence, cores=cores, in_thread=in_thread, in_child=in_child, same=same,
                provers=provers,
                race_ratio=race_ratio, startup=startups(preds, feats),
            )  # fmt: skip
            # a chosen backend that refuses the instance (the features said it could take it)
            # falls back to the next ranked one, as qb.solve's fallbacks do
            ran_ = next((b for b in (ch.backend, *ch.ranked) if b in runs), None)
            cases.append(
                {
                    "family": name if test_rows is None else str(cols[groups][idx[0]]),
                    "decision_seconds": decision_s,
                    "instance": inst,
                    "deadline": dl,
                    "oracle": oracle,
                    "qip": ran_,
                    "qip_choice": ch.backend,
                    "qip_parallel": ch.parallel,
                    "qip_race": ch.race,
                    "reason": ch.reason,
                    "runs": runs,
                    "proven": proven,
                    "finished": finished,
                    "measured": measured,
                }
            )
    errors = []
    for b in backends_all:
        e = err[b]
        if e["lr"]:
            errors.append(
                {
                    "backend": b,
                    "runs": len(e["lr"]),
                    "time_mdlr": float(np.median(e["lr"])),
                    "time_in_band": float(np.mean(e["band"])),
                    "quality_mae": float(np.mean(e["qe"])),
                }
            )
    return Evaluation(errors, score_cases(cases, backends_all), folds, cases)


def qip_seconds(seconds: float, decide: float, deadline: float, stops_at_limit: bool) -> float:
    """When ``qb.solve(backend="auto", deadline=...)`` would return a backend's answer that took
    ``seconds`` measured alone at ``deadline``, after ``decide`` seconds of deciding.

    ``seconds + decide`` as a rule. A run that stopped at its time limit (``stops_at_limit``: it
    did not end with a proof) and returned in time alone, but would not after the decision, is
    given the time left instead, as ``qb.solve`` gives it (:func:`qbdsl.solve.answer_reserve`,
    ``_backend_limit``): it then returns at ``decide`` plus that limit scaled by its share of
    its own limit used (``seconds / deadline``, at most 1), plus what it overran its limit by
    alone. Its quality is taken as measured with the whole deadline: on the shipped end-to-end
    runs, 15 of the 16 such answers came in time at the quality of the run alone (README, "QIP
    where the choice matters"). A run that ended with a proof might not end with less time and
    keeps ``seconds + decide``.

    Parameters
    ----------
    seconds : float
        The run's wall time alone, in seconds.
    decide : float
        The decision's seconds before the run starts.
    deadline : float
        The run's time limit alone, and the solve's deadline, in seconds.
    stops_at_limit : bool
        Whether the run stops at a time limit it is given (False: it ended with a proof).

    Returns
    -------
    float
        Seconds from the solve's start to the answer.
    """
    end = seconds + decide
    grace = deadline * (1 + SLACK)
    if not stops_at_limit or seconds > grace or end <= grace:
        return end
    from qbdsl.backends.budget import answer_reserve_seconds, limit_after_reserve

    limit = limit_after_reserve(deadline - decide, answer_reserve_seconds(deadline))
    return min(end, decide + limit * min(seconds / deadline, 1.0) + max(seconds - deadline, 0.0))


def shifted_geomean(seconds: Sequence[float], shift: float = SGM_SHIFT) -> float:
    """The shifted geometric mean ``exp(mean(log(t + shift))) - shift`` of times in seconds.

    The benchmarks of optimization solvers compare times by it (Achterberg, *Constraint
    Integer Programming*, PhD thesis, TU Berlin 2007, appendix A; H. Mittelmann's
    benchmarks): unlike the arithmetic mean it is not ruled by the longest runs, and unlike
    the plain geometric mean, by ratios of milliseconds. The shift here is
    :data:`SGM_SHIFT` (10 ms: the deadlines span 0.05-60 s)."""
    t = np.asarray(seconds, float)
    return float(np.exp(np.mean(np.log(np.maximum(t, 0.0) + shift))) - shift)


def score_cases(cases: list[dict], backends: list[str]) -> list[dict]:
    """Score the decisions of :attr:`Evaluation.cases` (or a subset of them) per family and over all.

    Parameters
    ----------
    cases : list of dict
        :attr:`Evaluation.cases` entries.
    backends : list of str
        The fixed policies ``always-<backend>`` to score beside ``qip`` and ``qip-parallel``.

    Returns
    -------
    list of dict
        :attr:`Evaluation.decisions` rows for each family of ``cases`` and ``"all"``. ``qip`` is
        the first choice run alone; ``qip-parallel`` the pair run at once on two cores, stopped
        at the first proof of optimality as ``qb.solve`` stops it, at ``deadline * (1 +
        uncertain.IN_HAND_WAIT)`` when one answer is in hand by then and the other is not, with
        the first answer alone when both come later, else the better answer at the later time
        (each run measured alone: contention is not modelled); QIP's runs return after the
        case's ``decision_seconds``, at :func:`qip_seconds` (a run that stopped at its time limit
        is given the time left, as ``qb.solve`` gives it, when the case lists the runs that
        ``finished`` with a proof); a decision with no backend counts quality 0 at
        :data:`DECISION_SECONDS`. Time ratios: the mean and the geometric
        mean of per-case ratios (1 ms floor), the ratio of total times and of shifted geometric
        means (:func:`shifted_geomean`).
    """

    from . import uncertain

    def pick(case, policy):
        runs, dl = case["runs"], case["deadline"]
        miss = (0.0, dl)
        decide = case.get("decision_seconds", DECISION_SECONDS)
        if policy.startswith("qip") and not case["qip"]:
            # no backend can take it or start in time: qb.solve says so after deciding, with no answer
            return 0.0, decide
        finished = case.get("finished", runs)  # without the list: every run ended on its own
        end = lambda b, t: qip_seconds(t, decide, dl, b not in finished)  # noqa: E731
        if policy == "qip":
            q, t = runs.get(case["qip"], miss)
            return _at_deadline(q, end(case["qip"], t), dl)
        if policy == "qip-parallel" and case.get("qip_race"):
            # a prover raced beside the chosen heuristic: its proof ends the solve; the heuristic's
            # answer stops the prover; the prover's answer is waited for only when the heuristic failed
            chosen, prover = case["qip_parallel"]
            h, p = runs.get(chosen), runs.get(prover)
            if p is not None and prover in case.get("proven", ()) and (h is None or p[1] <= h[1]):
                return _at_deadline(p[0], end(prover, p[1]), dl)
            if h is not None:
                return _at_deadline(h[0], end(chosen, h[1]), dl)
            return _at_deadline(p[0], end(prover, p[1]), dl) if p is not None else _at_deadline(0.0, dl + decide, dl)
        if policy == "qip-parallel":
            both = case["qip_parallel"] or (case["qip"],)
            got = {b: runs.get(b, miss) for b in both}
            # qb.solve stops the pair once one run proves its answer optimal (_solve_parallel)
            proofs = [(got[b], b) for b in both if b in case.get("proven", ()) and got[b][1] <= dl * (1 + SLACK)]
            if proofs:
                (q, t), b = min(proofs, key=lambda p: p[0][1])
                return _at_deadline(q, end(b, t), dl)
            # otherwise as _fork_all waits: a failed run answers nothing; the first answer in
            # hand lets the other run until the in-hand stop, and ends the wait if that is past
            answered = {b: runs[b] for b in both if b in runs}
            if not answered:
                return _at_deadline(0.0, dl + decide, dl)
            ends = {b: end(b, t) for b, (_, t) in answered.items()}
            first = min(ends, key=ends.get)
            cutoff = dl * (1 + uncertain.IN_HAND_WAIT)  # qb.solve's in-hand stop
            if ends[first] > cutoff:
                return _at_deadline(answered[first][0], ends[first], dl)
            if max(ends.values()) > cutoff:
                return max(answered[b][0] for b in answered if ends[b] <= cutoff), cutoff
            return _at_deadline(max(q for q, _ in answered.values()), max(ends.values()), dl)
        return runs.get(policy[len("always-") :], miss)

    policies = ["qip", "qip-parallel", *(f"always-{b}" for b in backends)]
    out = []
    for fam in [*sorted({c["family"] for c in cases}), "all"]:
        everyone = [c for c in cases if fam == "all" or c["family"] == fam]
        if not everyone:
            continue
        for pol in policies:
            fixed = pol[len("always-") :] if pol.startswith("always-") else None
            # a fixed policy is scored on the cases its backend was measured on
            mine = [c for c in everyone if fixed is None or fixed in c.get("measured", (fixed,))]
            if not mine:
                continue
            qs, ts, qr, tr, qq, ots = [], [], [], [], [], []
            for c in mine:
                oq, ot = c["runs"][c["oracle"]]
                q, t = pick(c, pol)
                qq.append(pick(c, "qip")[0])
                qs.append(q)
                ts.append(t)
                ots.append(ot)
                qr.append(q / oq if oq > 0 else 1.0)
                tr.append(max(t, 1e-3) / max(ot, 1e-3))
            out.append(
                {
                    "family": fam,
                    "policy": pol,
                    "cases": len(mine),
                    "quality": float(np.mean(qs)),
                    "time": float(np.mean(ts)),
                    "quality_vs_oracle": float(np.mean(qr)),
                    "time_vs_oracle": float(np.mean(tr)),
                    # the per-case mean above weighs a few ms on a 1 ms case as much as minutes on a
                    # long one: the ratio of total times and the geometric mean say it differently
                    "time_total_vs_oracle": float(np.sum(ts) / max(np.sum(ots), 1e-3)),
                    "time_geomean_vs_oracle": float(np.exp(np.mean(np.log(tr)))),
                    "time_sgm_vs_oracle": shifted_geomean(ts) / shifted_geomean(ots),
                    "qip_quality": float(np.mean(qq)),
                }
            )
    return out
