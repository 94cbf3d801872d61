"""Measuring the library on labeled files: ROUGE of summaries (`summaries`, `rouge`), topic
assignment (`topics`) and same-story detection (`stories`). These read files; the runtime
(`summarize`, `classify`, `same_story`) never imports them."""
