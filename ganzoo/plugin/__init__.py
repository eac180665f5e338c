"""The plugin contract and its discovery: hook specs, spec dataclasses, the registry, entry-point loading. Torch-free."""
