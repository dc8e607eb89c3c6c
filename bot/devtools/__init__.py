"""Ways to try the bot without a phone: the browser simulator and the terminal chat."""
