"""The ``responses`` profile: OpenAI Responses streams and compatible servers."""
