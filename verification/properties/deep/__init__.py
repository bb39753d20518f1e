"""Properties of the deep slice (one per file; registered in verification/properties/__init__.py)."""
