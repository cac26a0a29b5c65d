"""``python -m optviz``."""

import sys

from optviz.cli.main import main

sys.exit(main())
