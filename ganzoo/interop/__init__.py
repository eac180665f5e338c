"""Other formats in and out: peer checkpoints converted to ganzoo weights, generators exported to ONNX."""
