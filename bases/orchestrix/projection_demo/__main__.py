"""`python -m orchestrix.projection_demo` runs the demo."""

from orchestrix.projection_demo.main import main

main()
