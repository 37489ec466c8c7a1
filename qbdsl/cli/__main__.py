"""``python -m qbdsl.cli``: the ``qbdsl`` command."""

import sys

from . import main

sys.exit(main())
