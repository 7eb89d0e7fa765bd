"""The lakehouse: an event-sourced FastAPI service, the control plane of a small data lake.

Datasets declare their columns and which hold personal data; every upload becomes a batch
that moves through quality checks, privacy rules, quarantine or publication, and is consumed
by name. Every step is a command producing events (`models`, `aggregate`, `handlers`), every
read comes from a projection (`read_model`, `queries`), a GDPR erasure runs as a saga
(`saga`), and a page at `/` shows it all. `create_app` builds the application; `main` starts
it with uvicorn.
"""

from orchestrix.lakehouse_fastapi_demo.app import create_app
from orchestrix.lakehouse_fastapi_demo.service import Lakehouse
from orchestrix.lakehouse_fastapi_demo.settings import Settings

__all__ = ["Lakehouse", "Settings", "create_app"]
