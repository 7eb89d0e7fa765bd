"""The cipher of personal-data protection: AES-GCM from the `cryptography` package.

`cryptography` is imported only inside this package (the `personal` extra); without it,
importing the package says how to install it.
"""

try:
    import cryptography  # noqa: F401
except ImportError as missing:  # pragma: no cover - only where cryptography is not installed
    raise ImportError(
        "Personal-data encryption requires cryptography. Install with: "
        "pip install 'orchestrix[personal]'",
        name="cryptography",
    ) from missing

from orchestrix.infrastructure.crypto.aes_gcm import AesGcmCipher, generate_master_key

__all__ = ["AesGcmCipher", "generate_master_key"]
