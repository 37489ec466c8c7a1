"""The Quantum Invocation Policy: features, backend profiles, the fitted cost model's use, and
the decision."""

from .features import Features, features
from .policy import VARIANTS, Decision, decide, load_cost_model, resolve
from .profiles import Profile, default_profiles, load_profiles, save_profiles
from .warm import warm_up

__all__ = [
    "Features",
    "features",
    "Decision",
    "decide",
    "VARIANTS",
    "resolve",
    "load_cost_model",
    "Profile",
    "default_profiles",
    "load_profiles",
    "save_profiles",
    "warm_up",
]
