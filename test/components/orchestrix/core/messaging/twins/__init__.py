"""Two modules that each define an `OrderCreated`, as test modules and notebooks do."""
