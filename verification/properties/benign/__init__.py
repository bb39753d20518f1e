"""Properties of the benign slice (one per file; registered in verification/properties/__init__.py)."""
