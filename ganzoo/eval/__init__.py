"""Evaluation: one quality subsystem (feature metrics vs the real floor, held-out pairs vs the baseline, class coverage)."""
