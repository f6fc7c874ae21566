"""Our extension of SpiffWorkflow's Camunda flavour: task specs, parser, serializer and script engine."""
