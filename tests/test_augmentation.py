"""Training-time augmentation: shapes, what a mirror image and a shift do to the pixels, seeds."""

import pytest
import torch

from stylepath.augmentation import augment


def images(n: int = 6, side: int = 8) -> torch.Tensor:
    """Float n x 3 x side x side with every pixel distinct."""
    return torch.arange(n * 3 * side * side, dtype=torch.float32).reshape(n, 3, side, side) / (n * 3 * side * side)


def test_without_flip_or_shift_it_is_the_identity_and_draws_nothing():
    generator = torch.Generator().manual_seed(0)
    before = generator.get_state()
    x = images()
    assert torch.equal(augment(x, generator, flip=False, shift=0), x)
    assert torch.equal(generator.get_state(), before)


def test_flip_mirrors_some_images_left_right_and_leaves_the_others():
    x = images(n=40)
    out = augment(x, torch.Generator().manual_seed(0), flip=True, shift=0)
    assert out.shape == x.shape
    mirrored = [torch.equal(out[i], x[i].flip(-1)) for i in range(len(x))]
    kept = [torch.equal(out[i], x[i]) for i in range(len(x))]
    assert all(m or k for m, k in zip(mirrored, kept))
    assert 5 < sum(mirrored) < 35  # about half


def test_shift_is_a_crop_of_the_reflect_padded_image():
    x, shift = images(n=20, side=8), 2
    out = augment(x, torch.Generator().manual_seed(1), flip=False, shift=shift)
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (shift,) * 4, mode="reflect")
    offsets = []
    for i in range(len(x)):  # find each image's offset among the (2 shift + 1)^2 crops
        found = [
            (dy, dx)
            for dy in range(2 * shift + 1)
            for dx in range(2 * shift + 1)
            if torch.equal(out[i], padded[i, :, dy : dy + 8, dx : dx + 8])
        ]
        assert len(found) == 1
        offsets.append(found[0])
    assert len(set(offsets)) > 3  # offsets vary between images


def test_a_seed_repeats_and_another_differs():
    x = images(n=16)
    first = augment(x, torch.Generator().manual_seed(3), flip=True, shift=3)
    again = augment(x, torch.Generator().manual_seed(3), flip=True, shift=3)
    other = augment(x, torch.Generator().manual_seed(4), flip=True, shift=3)
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_a_shift_as_large_as_the_image_is_refused():
    with pytest.raises(ValueError, match="augment_shift"):
        augment(images(side=8), torch.Generator().manual_seed(0), flip=False, shift=8)
