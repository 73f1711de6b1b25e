from silta_schemas.examples import (
    BASIC_AMOUNT_REDUCTION_EXAMPLE,
    NOTICE_OF_NEED_EXAMPLE,
    STATUS_ACKNOWLEDGEMENT_EXAMPLE,
)

from .support import example_fixture

# Fresh, valid bodies to mutate, one per test.
notice = example_fixture(NOTICE_OF_NEED_EXAMPLE)
reduction = example_fixture(BASIC_AMOUNT_REDUCTION_EXAMPLE)
acknowledgement = example_fixture(STATUS_ACKNOWLEDGEMENT_EXAMPLE)
