"""A small Sphinx extension for the book's HTML (loaded through `sphinx.local_extensions`
in _config.yml): every page gets each inline <script> once, and every image in the text links
to its own file.

Links: a figure is scaled down to the text column, to about 57% of its size on a 400 px
phone; a tap on it opens the figure file alone, where the reader zooms (an SVG stays sharp).
Sphinx links only images given a size (`html_scaled_image_link`); glued figures have none.

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

import posixpath

from docutils import nodes
from sphinx.util.osutil import relative_uri


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


def link_images(app, doctree, docname) -> None:
    """Wrap each local image that is not a link yet in a link to its file in _images/ (the
    name the HTML builder gives it, as in Sphinx's own scaled-image links)."""
    if app.builder.format != "html":
        return
    imgdir = relative_uri(app.builder.get_target_uri(docname), app.builder.imagedir)
    for image in list(doctree.findall(nodes.image)):
        uri = image.get("uri", "")
        if isinstance(image.parent, nodes.reference) or uri not in app.env.images:
            continue  # a link already, or not a file of the book (remote, data:)
        link = nodes.reference("", "", internal=True, classes=["image-reference"],
                               refuri=posixpath.join(imgdir, app.env.images[uri][1]))
        image.replace_self(link)
        link.append(image)


def setup(app):
    app.connect("doctree-resolved", link_images)
    # priority 900: after the other extensions' html-page-context handlers (default 500),
    # so scripts they add for a page are deduplicated too
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
