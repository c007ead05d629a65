"""The base of what read views and routes answer: typed models, the source of the OpenAPI schemas.

A domain read view returns one of these (not a dict) and the handler sends it as it is; a field the
code sets but the model lacks fails loudly instead of reaching clients undocumented.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Reply(BaseModel):
    """Base of every response model: unknown fields are a bug, not a silent extra."""

    model_config = ConfigDict(extra="forbid")
