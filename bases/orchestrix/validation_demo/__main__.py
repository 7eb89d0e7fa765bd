"""`python -m orchestrix.validation_demo` runs the demo."""

from orchestrix.validation_demo.main import main

main()
