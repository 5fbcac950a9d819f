from autograder.testing import probe


@probe
def features(ns, email):
    return ns.extract_features(email)


@probe
def matrix(ns, emails):
    return ns.feature_matrix(emails)


def test_q1_public(grade):
    email = "FREE money!! Visit www.win.com now"
    grade.compare(features, email, case=f"email {email!r}", rtol=0, atol=1e-7)
    emails = ["Hi Bob, lunch at noon?", "You WON! Buy now: www.a.com www.b.com!!!"]
    grade.compare(matrix, emails, case="feature_matrix of two emails", rtol=0, atol=1e-7)
