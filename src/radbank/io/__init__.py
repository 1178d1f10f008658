"""Image readers: PNG/JPEG/TIFF (8- or 16-bit) and DICOM, to grayscale in [0, 1]."""

from radbank.io.images import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, load_gray, read_image, sniff_format

__all__ = ["DEFAULT_MAX_PIXELS", "IMAGE_SUFFIXES", "load_gray", "read_image", "sniff_format"]
