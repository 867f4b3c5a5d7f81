import sys

from ecginstruct.cli import main

sys.exit(main())
