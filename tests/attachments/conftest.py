import shutil
from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def no_stored_attachments():
    """Each test starts with no attachment files (rows are emptied after every test)."""
    for folder in Path(settings.MEDIA_ROOT).glob("private/*/attachments"):
        shutil.rmtree(folder, ignore_errors=True)
