"""What is measured on runs: stability and sharpness, loss landscapes, tuned comparisons, the LR
range test, fair-race tuning, suggested learning rates and the surfaces' own measures."""
