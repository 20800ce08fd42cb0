from django.urls import path

from social import views

urlpatterns = [
    path("media/<uuid:media_id>/", views.media_download, name="social-media"),
]
