"""Public transport: the network read from a GTFS feed (lines, stops), drawn on the maps."""
