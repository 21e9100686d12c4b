"""Team coding: people and their roles, coding samples for blind double coding, agreement between
coders and the owner's adjudication of their disagreements."""
