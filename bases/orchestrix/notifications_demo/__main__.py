"""`python -m orchestrix.notifications_demo` runs the demo."""

from orchestrix.notifications_demo.main import main

main()
