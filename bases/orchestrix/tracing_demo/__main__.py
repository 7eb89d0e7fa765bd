"""`python -m orchestrix.tracing_demo` runs the demo."""

from orchestrix.tracing_demo.main import main

main()
