"""`python -m orchestrix.banking_demo` runs the demo."""

from orchestrix.banking_demo.main import main

main()
