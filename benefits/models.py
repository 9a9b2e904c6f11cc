"""Benefit catalog, grants, budgets and costs (DESIGN §7); the models arrive with issue 6."""
