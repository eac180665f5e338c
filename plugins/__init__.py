"""ganzoo's first-party plugins, installed as ``ganzoo_plugins`` and found only through the
``ganzoo`` entry-point group, exactly like third-party plugins."""
