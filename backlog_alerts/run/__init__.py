"""Running the steps: the command line, the params, the pre-run checks and the notebooks under papermill."""
