"""What is minimised: the 2D surfaces, custom formulas (a whitelisted parser, never eval), Reddi
et al.'s counterexample, and MNIST's data and models."""
