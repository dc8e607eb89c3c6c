"""A text coming in: Twilio's webhook, the phone's turn, and the pipeline that runs the engine."""
