"""Command-line interface (thin: parses options, calls the domain packages, writes through hpglass.io)."""
