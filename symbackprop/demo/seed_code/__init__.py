"""The seed questions' own code, shipped so that the demo can check it as a user would."""
