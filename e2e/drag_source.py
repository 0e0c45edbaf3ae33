#!/usr/bin/python3
"""A real X11 drag source for the E2E suite: drags one file (text/uri-list) onto whatever
window the pointer releases it over.

usage: /usr/bin/python3 e2e/drag_source.py FILE X Y

Opens a 200x120 undecorated GTK3 window at screen position (X, Y) that is entirely a drag
source offering `text/uri-list` with FILE's file:// URI. Once it is mapped and shown it prints
`READY <x> <y> <w> <h>` (its real on-screen geometry) on stdout. While dragging it prints
`SENT <uri>` when the target asks for the data, and `FAILED <reason>` if a drag ends without a
drop (the window stays, so the drag can be tried again). It exits 0 after a drag whose data the
target took (`DONE`), or 1 after 60 s (`TIMEOUT`). Needs python3-gi and gir1.2-gtk-3.0.

Recipe that drives it with xdotool under Xvfb (no window manager); the E2E test repeats it:
    Xvfb :77 -screen 0 2400x1000x24 &        # no window manager: windows sit where they ask
    DISPLAY=:77 /usr/bin/python3 e2e/drag_source.py FILE 50 50 &   # wait for "READY x y w h"
    CX=x+w/2 CY=y+h/2                          # middle of the source; TX,TY = a point inside the target
    xdotool mousemove CX CY;  sleep 0.1
    xdotool mousedown 1;      sleep 0.1
    for i in 1..20: xdotool mousemove CX+(TX-CX)*i/20 CY+(TY-CY)*i/20;  sleep 0.05
    sleep 0.3                                  # hover: the target's XdndStatus must arrive first
    xdotool mouseup 1                          # source prints SENT ... then DONE and exits 0

No initial wiggle is needed: GTK starts the drag once the pointer is 8 px (its drag threshold)
from where the button went down, which the first step or two of the path already are. Measured:
20/20 plain, 10/10 with every core busy, 5/5 onto a WebKitGTK webview (wired like wry, i.e. the
Tauri window). What fails is a single jump (mousedown, one mousemove onto the target, mouseup:
0/5, "FAILED no-target"): the first motion only starts the drag, so the target never sees a
position before the release. Any path of 2+ moves (e.g. halfway, then into the target) worked
5/5, as did 10 moves without sleeps; the steps, sleeps and hover above are margin for slow CI
machines. A WebKitGTK target asks for the data while the pointer moves, so SENT can appear
before the release.
"""
import os
import sys

# xdotool only drives X11, so never let GTK pick Wayland; and keep the accessibility bus quiet.
os.environ["GDK_BACKEND"] = "x11"
os.environ.setdefault("NO_AT_BRIDGE", "1")

import gi  # noqa: E402

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, Gio, GLib, Gtk  # noqa: E402

WIDTH, HEIGHT = 200, 120
TIMEOUT_S = 60


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: drag_source.py FILE X Y")
    path = os.path.abspath(sys.argv[1])
    if not os.path.exists(path):
        sys.exit(f"drag_source.py: no such file: {path}")
    x, y = int(sys.argv[2]), int(sys.argv[3])
    uri = Gio.File.new_for_path(path).get_uri()
    state = {"sent": False, "failed": False, "code": 1}

    win = Gtk.Window(title="drag source")
    win.set_decorated(False)
    win.set_resizable(False)
    win.set_default_size(WIDTH, HEIGHT)
    win.set_size_request(WIDTH, HEIGHT)
    win.move(x, y)

    box = Gtk.EventBox()
    label = Gtk.Label()
    label.set_markup(f"<big><b>DRAG ME</b></big>\n{GLib.markup_escape_text(os.path.basename(path))}")
    label.set_justify(Gtk.Justification.CENTER)
    label.set_line_wrap(True)
    box.add(label)
    win.add(box)

    box.drag_source_set(
        Gdk.ModifierType.BUTTON1_MASK,
        [Gtk.TargetEntry.new("text/uri-list", 0, 0)],
        Gdk.DragAction.COPY,
    )

    def quit_with(code, message):
        print(message, flush=True)
        state["code"] = code
        Gtk.main_quit()
        return False

    def on_begin(_widget, _ctx):
        state["sent"] = False
        state["failed"] = False
        print("BEGIN", flush=True)

    def on_data_get(_widget, _ctx, selection, _info, _time):
        selection.set_uris([uri])
        state["sent"] = True
        print("SENT", uri, flush=True)

    def on_failed(_widget, _ctx, result):
        state["failed"] = True
        print("FAILED", result.value_nick, flush=True)
        return False  # let GTK play its "snap back" animation

    def on_end(_widget, _ctx):
        if state["sent"] and not state["failed"]:
            # Let the target finish reading the data before the source disappears.
            GLib.timeout_add(200, quit_with, 0, "DONE")

    box.connect("drag-begin", on_begin)
    box.connect("drag-data-get", on_data_get)
    box.connect("drag-failed", on_failed)
    box.connect("drag-end", on_end)
    win.connect("destroy", lambda *_: Gtk.main_quit())

    def report_ready():
        gdk_window = win.get_window()
        _, ox, oy = gdk_window.get_origin()
        print("READY", ox, oy, gdk_window.get_width(), gdk_window.get_height(), flush=True)
        return False

    def on_map(*_):
        # The X server has mapped it; report after the pending configure has been handled.
        Gdk.Display.get_default().sync()
        GLib.idle_add(report_ready)
        return False

    win.connect("map-event", on_map)
    GLib.timeout_add_seconds(TIMEOUT_S, quit_with, 1, "TIMEOUT")
    win.show_all()
    Gtk.main()
    sys.exit(state["code"])


if __name__ == "__main__":
    main()
