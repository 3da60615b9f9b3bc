"""The domain: pure, synchronous rules with no I/O."""
