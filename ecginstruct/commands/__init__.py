"""One module per CLI sub-command; see ``ecginstruct.cli.COMMANDS``."""
