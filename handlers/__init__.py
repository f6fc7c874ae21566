"""Service-task handlers, one package per service (the newborn birth's is ``handlers.newborn``)."""
