"""SpiffWorkflow integration, persistence and use cases of the onething service."""
