# question: q5
# bug: divides the advantages by the group's standard deviation (the notes' GRPO does not)
def grpo_advantages(rewards):
    return (rewards - rewards.mean()) / (rewards.std() + 1e-8)
