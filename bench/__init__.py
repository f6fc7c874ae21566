"""The benchmark (``make bench``): full applications through the HTTP API, against SpiffWorkflow's floor."""
