#!/usr/bin/env python3
"""Build the search index for a FAQ TSV: ``scripts/build_index.py [--faq PATH] [--out DIR]``.

Thin wrapper over ``faq-bot build-index``; settings come from ``FAQ_BOT_*`` variables.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faq_bot.cli import main

if __name__ == "__main__":
    sys.exit(main(["build-index", *sys.argv[1:]]))
