"""Files: atomic writes, $GANZOO_HOME, safetensors weights and checkpoints, pretrained resolution, image grids, run-folder names."""
