from lore.cli.main import app

app()
