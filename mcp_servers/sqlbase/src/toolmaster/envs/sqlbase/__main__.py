"""`python -m toolmaster.envs.sqlbase --seed N`: serve one seeded state over stdio."""

from toolmaster.envs.kit import serve
from toolmaster.envs.sqlbase import ENV

if __name__ == "__main__":
    serve(ENV)
