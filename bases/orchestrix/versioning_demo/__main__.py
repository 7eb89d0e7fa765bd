"""`python -m orchestrix.versioning_demo` runs the demo."""

import sys

from orchestrix.versioning_demo.main import main

if sys.argv[0].endswith("__main__.py"):  # so its usage and errors name the command typed
    sys.argv[0] = "python -m orchestrix.versioning_demo"
main()
