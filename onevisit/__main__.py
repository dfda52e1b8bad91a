import sys

from onevisit.cli import main

sys.exit(main())
