"""`python -m orchestrix.lakehouse_fastapi_demo` starts the service (see `main`)."""

from orchestrix.lakehouse_fastapi_demo.main import main

main()
