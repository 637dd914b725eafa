"""A small Sphinx extension for the book's HTML (loaded through `sphinx.local_extensions`
in _config.yml): every page gets each inline <script> once.

Why: Sphinx 7.4 writes an inline script (a `body=`, no file) twice when an extension adds it
after the builder started. `app.add_js_file(None, body=...)` stores it in the registry and
in the builder as `_JavaScript(None, ...)`; before writing, the builder adds the registry's
scripts again as `_JavaScript('', ...)`, which does not compare equal to the first. Two
extensions that Jupyter Book always loads add theirs that late (at `env-before-read-docs`):
sphinx-togglebutton (`var togglebuttonSelector = ...`, harmless twice) and sphinx-thebe
(`const THEBE_JS_URL = ...; const thebe_selector = ...`): the second `const` is a
"SyntaxError: Identifier 'THEBE_JS_URL' has already been declared" on every page.

The fix keeps the first of the scripts that are the same once `None` and '' are read alike
(same file, priority and attributes), at `html-page-context`, the event where Sphinx hands a
page its script list and where extensions may still change it.
"""
from __future__ import annotations


def _key(js) -> tuple:
    attributes = getattr(js, "attributes", {}) or {}
    return (getattr(js, "filename", js) or "", getattr(js, "priority", None),
            tuple(sorted((k, str(v)) for k, v in attributes.items())))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated entries of the page's `script_files` (in place, order kept)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, keep = set(), []
    for js in scripts:
        key = _key(js)
        if key not in seen:
            seen.add(key)
            keep.append(js)
    scripts[:] = keep


def setup(app):
    # priority 900: after the other extensions' html-page-context handlers (default 500),
    # so scripts they add for a page are deduplicated too
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
