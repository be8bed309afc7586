"""Writes of the notifications app: channels (``channels``) and deliveries (``deliveries``)."""
