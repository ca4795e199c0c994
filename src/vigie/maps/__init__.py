"""Maps: the basemap Vigie serves itself (PMTiles over HTTP ranges, or a raster tile
server) and the context layers drawn on every map when there is no basemap."""
