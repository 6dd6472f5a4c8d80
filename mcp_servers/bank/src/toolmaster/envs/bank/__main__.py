"""`python -m toolmaster.envs.bank`: serve the bank environment (stdio by default)."""

from toolmaster.envs.bank import ENV
from toolmaster.envs.kit import serve

if __name__ == "__main__":
    serve(ENV)
