"""python -m rethink_lib.bench ...: the benchmark (same as python -m rethink_lib bench)."""
import sys

from . import main

sys.exit(main())
