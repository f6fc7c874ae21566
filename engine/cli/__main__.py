"""``python -m engine.cli`` is ``onething``."""

import sys

from . import main

sys.exit(main())
