"""Training-time augmentation that keeps a painting's brushwork: mirror images and small shifts.

A style here is a texture (stroke length, direction field, edges, grain), which neither a mirror
image nor a shift of a few pixels changes, while the layout and palette that most of an image's
variance is made of move. Every draw comes from the given CPU generator (the training loop's
shuffling generator, saved in its checkpoint), so a seeded CPU run repeats and a resumed one agrees.
"""

import torch
import torch.nn.functional as F


def augment(x: torch.Tensor, generator: torch.Generator, flip: bool, shift: int) -> torch.Tensor:
    """x float B x 3 x H x W -> same shape: each image mirrored left-right with probability 1/2
    (`flip`), then moved by a random offset of -shift..shift px in each direction, the border
    filled by reflection (a random crop of the reflect-padded image). No draw when both are off."""
    if flip:
        mirrored = torch.rand(len(x), generator=generator) < 0.5
        x = torch.where(mirrored.to(x.device)[:, None, None, None], x.flip(-1), x)
    if shift > 0:
        side_h, side_w = x.shape[-2:]
        if shift >= min(side_h, side_w):
            raise ValueError(f"augment_shift {shift} px must be smaller than the image side {min(side_h, side_w)}")
        offsets = torch.randint(0, 2 * shift + 1, (len(x), 2), generator=generator).tolist()
        padded = F.pad(x, (shift, shift, shift, shift), mode="reflect")
        x = torch.stack([padded[i, :, dy : dy + side_h, dx : dx + side_w] for i, (dy, dx) in enumerate(offsets)])
    return x
