"""The loyalty ladder and relationship records (DESIGN §6); their models arrive with issues 3 and 5."""
