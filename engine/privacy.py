"""Masking personal data (ID numbers, phones, addresses, bank accounts) for views that don't need it (R8.2)."""

from __future__ import annotations

from typing import Any

_MASKED_KEYS = ("id_number", "phone", "address", "account_number", "delivery_record_mother_id")


def mask_text(value: str) -> str:
    """Keep the first and last few characters: 620102199203150021 → 6201**********0021."""
    if len(value) <= 4:
        return "*" * len(value)
    keep = 4 if len(value) >= 12 else (3 if len(value) >= 8 else 1)
    if len(value) == 11 and value.isdigit():  # mainland mobile number: 138****0001
        return value[:3] + "****" + value[-4:]
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def mask_personal(data: Any) -> Any:
    """A copy of ``data`` with every value under a personal-data key masked."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if isinstance(value, str) and value and any(part in key for part in _MASKED_KEYS):
                out[key] = mask_text(value)
            else:
                out[key] = mask_personal(value)
        return out
    if isinstance(data, list):
        return [mask_personal(item) for item in data]
    return data
