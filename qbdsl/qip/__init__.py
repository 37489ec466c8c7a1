"""The Quantum Invocation Policy: features, backend profiles, and the decision."""

from .features import Features, features
from .policy import Decision, decide
from .profiles import Profile, default_profiles, load_profiles, save_profiles

__all__ = [
    "Features",
    "features",
    "Decision",
    "decide",
    "Profile",
    "default_profiles",
    "load_profiles",
    "save_profiles",
]
