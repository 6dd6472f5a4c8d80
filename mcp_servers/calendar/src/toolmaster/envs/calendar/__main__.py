"""`python -m toolmaster.envs.calendar`: serve the calendar environment (stdio by default)."""

from toolmaster.envs.calendar import ENV
from toolmaster.envs.kit import serve

if __name__ == "__main__":
    serve(ENV)
