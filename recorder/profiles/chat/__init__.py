"""The ``chat`` profile: OpenAI Chat Completions streams and the servers that speak them."""
