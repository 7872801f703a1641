import sys

from theorylab.cli import main

sys.exit(main())
