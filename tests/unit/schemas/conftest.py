from typing import Any

import pytest
from silta_schemas.examples import (
    BASIC_AMOUNT_REDUCTION_EXAMPLE,
    NOTICE_OF_NEED_EXAMPLE,
    STATUS_ACKNOWLEDGEMENT_EXAMPLE,
)

from .support import copied


@pytest.fixture
def notice() -> dict[str, Any]:
    """A fresh, valid notice of need body to mutate."""
    return copied(NOTICE_OF_NEED_EXAMPLE)


@pytest.fixture
def reduction() -> dict[str, Any]:
    """A fresh, valid notice of basic amount reduction body to mutate."""
    return copied(BASIC_AMOUNT_REDUCTION_EXAMPLE)


@pytest.fixture
def acknowledgement() -> dict[str, Any]:
    """A fresh, valid status acknowledgement body to mutate."""
    return copied(STATUS_ACKNOWLEDGEMENT_EXAMPLE)
