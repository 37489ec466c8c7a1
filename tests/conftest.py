import os

from hypothesis import settings

settings.register_profile("ci", max_examples=100, deadline=None)  # hypothesis's default; make test's time
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
