import sys

from fmp_collector.cli import main

sys.exit(main())
