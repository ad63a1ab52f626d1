"""Pattern-oriented validation and calibration against the paper's stylized facts (MODEL.md §7)."""
