#!/usr/bin/env python3
"""Reads an HTML page on standard input and prints the fields of the form whose action is
ACTION as an application/x-www-form-urlencoded body, as a browser would submit it unchanged
(inputs with their values, each select's selected option, textareas' text), with NAME=VALUE
arguments replacing fields. bench/unlock.sh uses it to send an edit form back through the
server.

Usage: curl ... /events/1/edit | bench/form_fields.py /events/1 description='edited'
"""
import sys
from html.parser import HTMLParser
from urllib.parse import urlencode


class Form(HTMLParser):
    def __init__(self, action):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields = []
        self.select = None
        self.select_value = None
        self.first_option = None
        self.option = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif not self.inside:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.fields.append([a["name"], a.get("value", "")])
        elif tag == "select":
            self.select, self.select_value, self.first_option = a.get("name"), None, None
        elif tag == "option" and self.select:
            value = a.get("value")
            self.option = value
            if self.first_option is None:
                self.first_option = value
            if "selected" in a:
                self.select_value = value
        elif tag == "textarea":
            self.textarea = [a.get("name"), ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            value = self.select_value if self.select_value is not None else self.first_option
            self.fields.append([self.select, value or ""])
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = self.textarea[1]
            self.fields.append([self.textarea[0], text[1:] if text.startswith("\n") else text])
            self.textarea = None


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    form = Form(sys.argv[1])
    form.feed(sys.stdin.read())
    if not form.fields:
        sys.exit(f"no form with action {sys.argv[1]} on the page")
    overrides = dict(arg.split("=", 1) for arg in sys.argv[2:])
    fields = [(k, overrides.pop(k, v)) for k, v in form.fields]
    fields += list(overrides.items())
    sys.stdout.write(urlencode(fields))


if __name__ == "__main__":
    main()
