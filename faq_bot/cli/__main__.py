"""``python -m faq_bot.cli``."""

import sys

from faq_bot.cli import main

sys.exit(main())
