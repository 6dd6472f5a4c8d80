"""`python -m toolmaster.envs.jokes`: serve the jokes environment (stdio by default)."""

from toolmaster.envs.jokes import ENV
from toolmaster.envs.kit import serve

if __name__ == "__main__":
    serve(ENV)
