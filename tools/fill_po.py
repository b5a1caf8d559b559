"""Fill msgstr in the zh_CN catalogue from a {msgid: translation} dict file (dev helper)."""
import sys, json
from babel.messages.pofile import read_po, write_po
po_path = "registry/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
with open(po_path, "rb") as f:
    cat = read_po(f, locale="zh_CN")
tr = json.load(open(sys.argv[1]))
n = 0
for msg in cat:
    if msg.pluralizable and msg.id[0] in tr and not any(msg.string):
        # Chinese has one plural form: the singular's translation serves every count
        msg.string = (tr[msg.id[0]],); n += 1
        msg.flags.discard("fuzzy")
        continue
    if msg.id and not msg.pluralizable and msg.id in tr and not msg.string:
        msg.string = tr[msg.id]; n += 1
    if msg.id and "fuzzy" in msg.flags and msg.id in tr:
        msg.flags.discard("fuzzy"); msg.string = tr[msg.id]
with open(po_path, "wb") as f:
    write_po(f, cat, width=120, omit_header=False)
missing = [m.id for m in cat if m.id and not (any(m.string) if m.pluralizable else m.string)]
print("filled", n, "missing", len(missing))
for m in missing: print("  MISSING:", repr(m))
