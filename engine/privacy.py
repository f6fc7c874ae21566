"""Masking personal data (ID numbers, phones, addresses, bank accounts) for views that don't need it (R8.2).

Which keys hold personal data is the service's to say (:attr:`engine.service.Views.personal_keys`): a value is
masked when its key contains one of them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def mask_text(value: str) -> str:
    """Keep the first and last few characters: 620102199203150021 → 6201**********0021."""
    if len(value) <= 4:
        return "*" * len(value)
    keep = 4 if len(value) >= 12 else (3 if len(value) >= 8 else 1)
    if len(value) == 11 and value.isdigit():  # mainland mobile number: 138****0001
        return value[:3] + "****" + value[-4:]
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def mask_personal(data: Any, keys: Collection[str]) -> Any:
    """A copy of ``data`` with every text value under a key containing one of ``keys`` masked."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if isinstance(value, str) and value and any(part in key for part in keys):
                out[key] = mask_text(value)
            else:
                out[key] = mask_personal(value, keys)
        return out
    if isinstance(data, list):
        return [mask_personal(item, keys) for item in data]
    return data
