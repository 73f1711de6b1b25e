"""How an officer names the client whose data they ask for: in the body, never in a URL
(URLs end up in access logs and proxies' logs)."""

from pydantic import Field

from silta_schemas._base import Contract, with_examples
from silta_schemas.examples import STATEMENT_SEARCH_EXAMPLE
from silta_schemas.identity import IdentityCode


class ClientLookup(Contract):
    """One client, by personal identity code (henkilötunnus), in a request body."""

    model_config = with_examples(STATEMENT_SEARCH_EXAMPLE)

    identity_code: IdentityCode = Field(
        repr=False, description="The client's personal identity code (henkilötunnus)."
    )
