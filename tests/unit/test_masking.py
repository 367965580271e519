from backlog_alerts.masking import mask_email, mask_endpoint, mask_phone


def test_email_keeps_first_letter_and_domain_only():
    assert mask_email("dana.whitfield@example.gov") == "d*****@example.gov"


def test_email_mask_hides_the_length_of_the_local_part():
    assert mask_email("a@x.gov") == mask_email("abcdefghij@x.gov").replace("a*****", "a*****")
    assert len(mask_email("abcdefghij@x.gov")) == len(mask_email("ab@x.gov"))


def test_phone_keeps_country_prefix_and_last_four():
    assert mask_phone("+16195550100") == "+1******0100"


def test_short_or_malformed_values_are_fully_hidden():
    assert mask_phone("12345") == "*****"
    assert mask_email("no-at-sign") == "*****"


def test_endpoint_mask_follows_protocol_and_leaves_queue_arns():
    assert mask_endpoint("email", "bob@example.gov") == "b*****@example.gov"
    assert mask_endpoint("sms", "+16195550100") == "+1******0100"
    arn = "arn:aws:sqs:us-east-1:123456789012:q"
    assert mask_endpoint("sqs", arn) == arn
