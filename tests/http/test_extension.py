"""A blueprint registered by hand fails the host's start-up, naming init_app (not a 500)."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from moderator.http.admin import admin
from moderator.http.akismet import akismet
from moderator.http.api import api
from moderator.http.coral import coral
from moderator.http.extension import NotMounted


@pytest.mark.parametrize("blueprint", [api, admin, coral, akismet], ids=lambda b: b.name)
def test_registering_a_blueprint_by_hand_says_to_use_init_app(blueprint: Blueprint) -> None:
    host = Flask("host")
    with pytest.raises(NotMounted, match=r"moderator\.http\.init_app"):
        host.register_blueprint(blueprint, url_prefix="/moderation")
