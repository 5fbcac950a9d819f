# question: q5
# bug: a learning rate 100x too small: plain SGD at 1e-3 is far from 95 % after 1500 steps
def leaderboard_config():
    return {"optimizer": "sgd", "lr": 1e-3}
