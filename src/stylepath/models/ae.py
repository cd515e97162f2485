"""AE: a plain deterministic autoencoder, trained on reconstruction alone."""

from stylepath.models.backbone import Autoencoder, reconstruction_loss


class AE(Autoencoder):
    """z = encoder(x); x_hat = sigmoid(decoder(z)).

    loss = recon = binary cross-entropy between decoder logits and the pixels in [0, 1],
    summed over the 3 x H x W pixels, averaged over the batch (nats per image).
    Logged terms: loss, recon (equal here).
    """

    name = "ae"
    variational = False

    def loss_terms(self, x, labels=None):
        z, _ = self.encode(x)
        recon = reconstruction_loss(self.decoder(z), x)
        return {"loss": recon, "recon": recon}


MODEL = AE
