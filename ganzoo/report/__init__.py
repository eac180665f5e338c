"""Looking at runs: plots of run folders (loss curves, metrics, samples, discriminator histograms)."""
