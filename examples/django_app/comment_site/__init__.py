"""The example Django site: one page of comments, checked by moderator before publishing."""
