"""The web app (Gradio) and the HTTP API. Talks to the project only through `Assistant`."""

import os

# Before gradio is imported anywhere below: no usage analytics or version checks over the network.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
