"""Training: the one loop, its speed switches, EMA, content terms and data-parallel runtime."""
