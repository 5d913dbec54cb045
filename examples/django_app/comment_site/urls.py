"""The page and the form's target."""

from django.urls import path

from comment_site import views

urlpatterns = [
    path("", views.article, name="article"),
    path("comments", views.post_comment, name="post_comment"),
]
