"""Templates and static files of the service; installed as the data package ``faq_bot.web`` (see faq_bot/assets.py)."""
