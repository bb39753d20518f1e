"""Properties of the generalization slice (one per file; registered in verification/properties/__init__.py)."""
