"""`python -m orchestrix.versioning_demo` runs the demo."""

from orchestrix.versioning_demo.main import main

main()
