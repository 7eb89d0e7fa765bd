"""Banking demo: accounts as event-sourced aggregates, commands through the message bus."""
