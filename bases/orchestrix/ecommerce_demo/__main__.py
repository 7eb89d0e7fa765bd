"""`python -m orchestrix.ecommerce_demo` runs the demo."""

from orchestrix.ecommerce_demo.main import main

main()
