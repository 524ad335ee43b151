"""The local cloud: the synthesized app run offline in moto on a simulated clock (issue 6)."""
