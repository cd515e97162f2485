"""stylepath: how is the latent space of an autoencoder organised, measured by artistic style?"""

__version__ = "0.1.0"
