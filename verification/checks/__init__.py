"""One module per slice of the theory; every ``Check`` subclass here is discovered automatically."""
