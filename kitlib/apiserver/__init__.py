"""What the API server does to objects of some kinds on create, update and delete, beyond
storing them: defaulting, validation and allocation (``pkg/registry`` in Kubernetes)."""
