"""Expands the subset of xacro our URDF uses (xacro is a ROS package, not installable on Debian 12): a test double.

    python3 expand_xacro.py FILE.urdf.xacro [name:=value ...] [--find pkg=path ...]

Supports xacro:arg, xacro:property, xacro:macro (params with optional :=default) and its calls, xacro:if/unless, $(arg x),
$(find pkg) and ${python expression over the properties}. Any other xacro tag is an error, so the double never silently
expands less than real xacro would. Prints the URDF.
"""
import re
import sys
import xml.etree.ElementTree as ET

NS = '{http://www.ros.org/wiki/xacro}'


class XacroFunctions:
    """The `xacro.` functions of real xacro that our file calls: fatal stops the expansion with its message."""

    @staticmethod
    def fatal(message):
        raise SystemExit(f'xacro: {message}')


def number(value):
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


class Expander:
    def __init__(self, args, finds):
        self.args = dict(args)
        self.finds = finds
        self.macros = {}

    def substitute(self, text, scope):
        def dollar_paren(m):
            kind, _, name = m.group(1).partition(' ')
            if kind == 'arg':
                if name not in self.args:
                    raise SystemExit(f'undefined xacro arg {name}')
                return str(self.args[name])
            if kind == 'find':
                if name not in self.finds:
                    raise SystemExit(f'$(find {name}): package path not given')
                return self.finds[name]
            raise SystemExit(f'unsupported $({kind} ...)')
        text = re.sub(r'\$\(([^)]*)\)', dollar_paren, text)
        names = dict(scope, xacro=XacroFunctions)
        whole = re.fullmatch(r'\$\{([^}]*)\}', text)
        if whole:
            return eval(whole.group(1), {'__builtins__': {}}, names)  # noqa: S307 (a test double over our own file)
        return re.sub(r'\$\{([^}]*)\}', lambda m: str(eval(m.group(1), {'__builtins__': {}}, names)), text)  # noqa: S307

    def truth(self, value):
        if isinstance(value, str):
            if value.lower() in ('true', '1'):
                return True
            if value.lower() in ('false', '0'):
                return False
            raise SystemExit(f'xacro:if value {value!r} is not a boolean')
        return bool(value)

    def expand_children(self, element, scope, out, text=False):
        if text and element.text and element.text.strip():
            # text directly inside xacro:if/unless or a macro is evaluated (and kept) like xacro does: ${xacro.fatal(...)}
            value = str(self.substitute(element.text, scope))
            if len(out):
                out[-1].tail = (out[-1].tail or '') + value
            else:
                out.text = (out.text or '') + value
        for child in list(element):
            self.expand(child, scope, out)

    def expand(self, el, scope, out):
        if not isinstance(el.tag, str):
            return
        if el.tag.startswith(NS):
            tag = el.tag[len(NS):]
            if tag == 'arg':
                if el.get('name') not in self.args:  # the default only matters (and is only evaluated) when not given
                    self.args[el.get('name')] = self.substitute(el.get('default', ''), scope)
            elif tag == 'property':
                value = self.substitute(el.get('value'), scope)
                scope[el.get('name')] = number(value) if isinstance(value, str) else value
            elif tag == 'macro':
                self.macros[el.get('name')] = el
            elif tag in ('if', 'unless'):
                if self.truth(self.substitute(el.get('value'), scope)) == (tag == 'if'):
                    self.expand_children(el, scope, out, text=True)
            elif tag in self.macros:
                macro = self.macros[tag]
                inner = dict(scope)
                for param in macro.get('params', '').split():
                    name, _, default = param.partition(':=')
                    if el.get(name) is not None:
                        value = self.substitute(el.get(name), scope)
                    elif default:
                        value = default
                    else:
                        raise SystemExit(f'macro {tag}: parameter {name} not given')
                    inner[name] = number(value) if isinstance(value, str) else value
                self.expand_children(macro, inner, out, text=True)
            else:
                raise SystemExit(f'unsupported xacro tag xacro:{tag}')
            return
        copy = ET.SubElement(out, el.tag, {k: str(self.substitute(v, scope)) for k, v in el.attrib.items()})
        copy.text = None if el.text is None else str(self.substitute(el.text, scope)) if el.text.strip() else el.text
        copy.tail = el.tail
        self.expand_children(el, scope, copy)


def main(argv):
    path, args, finds = argv[0], {}, {}
    rest = argv[1:]
    while rest:
        a = rest.pop(0)
        if a == '--find':
            pkg, _, where = rest.pop(0).partition('=')
            finds[pkg] = where
        else:
            name, sep, value = a.partition(':=')
            if not sep:
                raise SystemExit(f'bad argument {a!r} (expected name:=value)')
            args[name] = value
    root = ET.parse(path).getroot()
    out = ET.Element(root.tag, {k: v for k, v in root.attrib.items()})
    Expander(args, finds).expand_children(root, {}, out)
    out.text = root.text
    sys.stdout.write('<?xml version="1.0"?>\n' + ET.tostring(out, encoding='unicode') + '\n')


if __name__ == '__main__':
    main(sys.argv[1:])
