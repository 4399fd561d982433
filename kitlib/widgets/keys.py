"""The labs' controls keep their keys: an arrow key on a picker changes the option, not
JupyterLab's cell selection.

Why it happens: JupyterLab 4 handles a key press after the page's own handlers (Lumino's
``CommandRegistry.processKeydownEvent`` on ``document``, bubbling phase) and matches it against
the notebook's command-mode shortcuts, whose selector is
``.jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus`` (``@jupyterlab/notebook-extension``
schema ``tracker.json``: ArrowUp/ArrowDown move the active cell, ArrowLeft/ArrowRight collapse
and expand headings, A/B insert cells, D D deletes one, M/Y/R change its type, ...). The notebook
sets ``jp-mod-readWrite`` only while the focused element matches ``:read-write`` (a text field):
an ipywidgets Dropdown's ``<select>``, a button or a checkbox does not, so an arrow key on a
picker both changed the option and moved the notebook's selection, and a letter typed to jump
to an option could insert or delete a cell (ipywidgets issue #3912, open). The sliders were
spared: noUiSlider calls ``preventDefault`` on its keys, and Lumino skips a prevented event.

The fix is JupyterLab's documented one for "non-editable elements with custom key event
handlers" (JupyterLab's extension guide, "Keyboard interaction model"): the
``data-lm-suppress-shortcuts`` attribute on the element the key is pressed on makes Lumino match
no shortcut for that event. A lab's root box carries the class :data:`LAB_CLASS` and an
invisible :class:`LabKeys` widget whose browser module adds, once per page, one ``keydown``
listener (capture phase, so before Lumino) that sets the attribute on a focused control of a
lab that is not a text field for the keys the control uses itself (arrows, Home/End, Page
Up/Down, Space, letters and digits, with or without Shift), and removes it for the others:
with Ctrl, Alt or Meta (Ctrl+S still saves, Ctrl+Shift+C opens the palette), Enter, Escape and
Tab, so that Shift+Enter still runs the cell, as from the lab's text fields. Text fields need
nothing: JupyterLab already leaves their keys to them. Outside JupyterLab (classic Notebook,
VS Code) the attribute means nothing and changes nothing.
"""

from __future__ import annotations

import anywidget
import ipywidgets as widgets

__all__ = ["LAB_CLASS", "LabKeys", "lab_box"]

LAB_CLASS = "kit-lab"
"""The class of a lab's root box: the controls inside it keep their keys."""

_ESM = """
const ATTR = 'data-lm-suppress-shortcuts';
const PASS = new Set(['Enter', 'Escape', 'Tab']);
function install() {
  if (globalThis.__kitlibLabKeys) return;
  globalThis.__kitlibLabKeys = true;
  document.addEventListener('keydown', (event) => {
    const el = event.target;
    if (!(el instanceof Element) || !el.closest('.LAB_CLASS') || el.matches(':read-write')) return;
    const own = !(event.ctrlKey || event.metaKey || event.altKey) && !PASS.has(event.key);
    if (own) el.setAttribute(ATTR, 'true'); else el.removeAttribute(ATTR);
  }, true);
}
export default { render() { install(); } };
""".replace("LAB_CLASS", LAB_CLASS)


class LabKeys(anywidget.AnyWidget):
    """An invisible widget whose browser module keeps the keys of the lab's controls from
    JupyterLab's command-mode shortcuts (see the module docstring). One per lab, in its root box.

    >>> "data-lm-suppress-shortcuts" in LabKeys()._esm
    True
    """

    _esm = _ESM

    def __init__(self, **kwargs) -> None:
        super().__init__(layout=widgets.Layout(display="none"), **kwargs)


def lab_box(children: list[widgets.Widget]) -> widgets.VBox:
    """A lab's root box: its rows and views, the class :data:`LAB_CLASS` and a :class:`LabKeys`,
    so that an arrow key on one of its pickers changes the option and leaves the notebook's
    selection where it is.

    >>> box = lab_box([widgets.Dropdown(options=["a", "b"])])
    >>> LAB_CLASS in box._dom_classes, type(box.children[-1]).__name__
    (True, 'LabKeys')
    """
    box = widgets.VBox([*children, LabKeys()])
    box.add_class(LAB_CLASS)
    return box
