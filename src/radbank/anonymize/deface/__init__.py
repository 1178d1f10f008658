"""MRI defacing: DeepDefacer's U-Net (default) and pydeface's template registered with SimpleITK, with QC."""
