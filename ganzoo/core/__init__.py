"""The model-independent core: run configuration, task adapters, the loss contract, built models, device choice."""
