"""Public lighting: the fleet's energy model, savings against the targets, compliance, the plan."""
