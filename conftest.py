"""pytest's root configuration, for every test folder and for the notebooks nbval runs.

The kernels that nbval and the browser tests start inherit this environment: with
``KITLIB_PROGRESS=off`` their exercise checks record nothing into the checkout's
``work/.kitlib-progress.json``, which is the learner's (``kitlib/exercises/progress.py``).
"""

import os

os.environ["KITLIB_PROGRESS"] = "off"
