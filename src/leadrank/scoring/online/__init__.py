"""The online scoring path: `POST /api/v1/scoring/score` from the request's bytes to the answer's.

`build` makes the process's scorer from the workspace and settings; `lane` answers scoring
requests in front of FastAPI's stack and `routes` declares them for the OpenAPI document; `call`
decodes, scores and encodes one request; the scorer is the active table model's
(`model_scorer`, through `compiled` plain Python when the model allows it, and `split` across
two processes for large requests) or, with no model, the ICP rules (`rules_scorer`).
"""
