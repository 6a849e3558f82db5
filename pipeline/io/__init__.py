"""Input and output at the edges: decoding, reading inputs and archives, writing records."""
