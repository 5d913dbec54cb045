"""Just enough Django: no database of Django's own, no apps, CSRF on."""

from moderator.paths import DEFAULT_MODELS_DIR, DEFAULT_POLICY_DIR, PROJECT_ROOT

DEBUG = True
# A demo key for runserver; a real site reads its own from the environment.
SECRET_KEY = "example-only-not-a-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "comment_site.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

# moderator: the policies and models to load, and where held comments wait for a
# moderator (None: they are held but not kept); var/ is the checkout's untracked folder.
MODERATOR_POLICY_DIR = DEFAULT_POLICY_DIR
MODERATOR_MODELS_DIR = DEFAULT_MODELS_DIR
MODERATOR_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'django-example' / 'held.sqlite3'}"
