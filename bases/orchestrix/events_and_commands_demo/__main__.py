"""`python -m orchestrix.events_and_commands_demo` runs the demo."""

from orchestrix.events_and_commands_demo.main import main

main()
