"""Winter service (PC neige): plan levels, priority network, salting circuits and coverage."""
