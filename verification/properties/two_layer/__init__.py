"""Properties of the two_layer slice (one per file; registered in verification/properties/__init__.py)."""
