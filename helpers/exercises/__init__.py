"""The summary's exercises: drills that check a learner's own function and name the mistake, and
the training runs behind them."""
