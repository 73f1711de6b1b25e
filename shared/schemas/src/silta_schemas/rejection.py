"""The refusal of a whole message: raised by the envelope and by a kind's own checks."""


class MessageRejected(Exception):
    """A message that must not be processed; `rule` for problem details, `detail` log-safe."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail
