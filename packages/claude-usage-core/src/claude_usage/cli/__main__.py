"""``python -m claude_usage.cli``."""

import sys

from claude_usage.cli import main

sys.exit(main())
