"""One module per agent class (and the tools and training they use)."""
