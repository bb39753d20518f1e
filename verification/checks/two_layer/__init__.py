"""The two_layer slice's checks: one check per module, discovered by verification.registry."""
