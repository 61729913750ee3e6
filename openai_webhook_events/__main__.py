"""``python -m openai_webhook_events``: see :mod:`openai_webhook_events._cli`."""

import sys

from ._cli import main

sys.exit(main())
