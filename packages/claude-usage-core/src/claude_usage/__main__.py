"""``python -m claude_usage``: the same as the ``claude-usage`` command."""

import sys

from claude_usage.cli import main

sys.exit(main())
