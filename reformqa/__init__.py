"""The `reformqa` command: the top layer, above the web app (`ui`), the answering
(`assistant`) and the index (`index`)."""
