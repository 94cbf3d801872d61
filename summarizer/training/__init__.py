"""Training the shipped models from labeled files (needs scikit-learn; the runtime applies
the weights with numpy alone):

    python -m summarizer.training.summaries FILE.jsonl [--folds 5] [--write]
    python -m summarizer.training.topics [--eval-dir DIR] [--out PATH] [--tune]
"""
