"""The askers' own code, shipped so that the demo can check it as a user would."""
