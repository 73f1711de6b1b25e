"""One module per message kind: its payload model, the HTTP request that leads to it where
there is one, and its `SPEC` (`silta_schemas.spec.KindSpec`), registered in
`silta_schemas.registry`.

A kind's module imports only the shared building blocks (`parties`, `text`, `identity`, ...),
never another kind's module, so each kind can be read (and changed) on its own.
"""
