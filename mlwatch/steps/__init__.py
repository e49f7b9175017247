"""The incident workflow, one module a step; each step is a function returning a Result."""
