#!/usr/bin/env python
"""A minimal Django site whose comment view calls `Moderator.check` (README "Embedding").

Run it from the repository (the shipped policy and model):

    python examples/django_app/manage.py runserver      # then open http://127.0.0.1:8000/
"""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comment_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
