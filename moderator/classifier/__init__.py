"""The extremist-propaganda classifier."""
