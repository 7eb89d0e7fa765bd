"""Events and commands demo: messages and their CloudEvents metadata, causation chains, and the
synchronous and asynchronous in-process buses."""
