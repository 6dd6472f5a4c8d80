"""`python -m toolmaster.envs.files --seed N`: serve one seeded state over stdio."""

from toolmaster.envs.files import ENV
from toolmaster.envs.kit import serve

if __name__ == "__main__":
    serve(ENV)
