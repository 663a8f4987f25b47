"""Payment helpers: the VietQR payload for bank transfers."""
