"""A text going out: senders, who may be texted when, the sender's pace, and the send job."""
