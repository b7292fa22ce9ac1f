"""Settings of the example project: ``development`` (the default) and ``production``."""
