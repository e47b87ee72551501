"""The bot's web pages: the room screen for the projector and the rapporteur's editor, a
Telegram Mini App. One Starlette application (`web.app.create_app`) served by uvicorn inside the
bot's own event loop, so pages and chat share the same domain services."""
