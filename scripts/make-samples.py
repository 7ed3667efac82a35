#!/usr/bin/env python3
"""Writes the bundled samples (deterministic). Every line carries a unique marker such as
`id=app-0001` so that scripts/newcomer-check.sh can find each line in the output exactly once."""
import gzip, json, os, random

root = os.path.join(os.path.dirname(__file__), "..", "samples")
rng = random.Random(7)
levels = ["INFO"] * 6 + ["DEBUG"] * 2 + ["WARN", "ERROR"]
actions = ["order placed", "payment captured", "cart updated", "session started", "cache miss",
           "retrying upstream call", "invoice sent", "user signed in"]

def app_lines(start, count, day):
    out = []
    for n in range(start, start + count):
        level = rng.choice(levels)
        ms = rng.randint(1, 900)
        out.append(f"2026-11-{day:02d}T{8 + n // 60 % 12:02d}:{n % 60:02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z "
                   f"{level} [worker-{rng.randint(1, 4)}] {rng.choice(actions)} id=app-{n:04d} user={rng.randint(1, 500)} ms={ms}")
    return out

def write(path, lines, compress=False, final_newline=True):
    data = ("\n".join(lines) + ("\n" if final_newline else "")).encode()
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if compress:
        with open(full, "wb") as f:
            f.write(gzip.compress(data, mtime=0))
    else:
        with open(full, "wb") as f:
            f.write(data)

# A rotated set: app.log.2.gz (oldest), app.log.1, app.log (current).
write("app/app.log.2.gz", app_lines(1, 40, 28), compress=True)
write("app/app.log.1", app_lines(41, 40, 29))
# The live file's last line has no newline yet, as when a writer is mid-line.
write("app/app.log", app_lines(81, 40, 30), final_newline=False)

agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
          "curl/8.4.0", "Googlebot/2.1 (+http://www.google.com/bot.html)",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15"]
paths = ["/", "/products", "/cart", "/api/orders", "/static/app.js", "/login", "/missing"]
def access_lines(start, count):
    out = []
    for n in range(start, start + count):
        status = rng.choice([200] * 8 + [304, 404, 500, 302])
        size = "-" if status in (304, 302) else str(rng.randint(200, 90000))
        method = rng.choice(["GET"] * 8 + ["POST", "HEAD"])
        ip = f"203.0.113.{rng.randint(1, 254)}"
        out.append(f'{ip} - - [30/Nov/2026:10:{n // 60 % 60:02d}:{n % 60:02d} +0000] '
                   f'"{method} {rng.choice(paths)}?r=web-{n:04d} HTTP/1.1" {status} {size} '
                   f'"https://shop.example.com/" "{rng.choice(agents)}"')
    return out
write("web/access.log", access_lines(1, 60))

kinds = ["click", "view", "purchase", "signup"]
events = []
for n in range(1, 51):
    kind = rng.choice(kinds)
    ev = {"ts": f"2026-11-30T12:{n // 60:02d}:{n % 60:02d}Z", "type": kind, "id": f"ev-{n:04d}",
          "user": {"id": rng.randint(1, 300), "country": rng.choice(["DE", "US", "IL", "JP"])},
          "amount": round(rng.uniform(1, 300), 2) if kind == "purchase" else None}
    events.append(json.dumps(ev, separators=(",", ":")))
write("events/events.jsonl", events)

# An archive folder for the backfill example.
write("archive/app-2026-11-01.log.gz", app_lines(1001, 30, 1), compress=True)
write("archive/app-2026-11-02.log.gz", app_lines(1031, 30, 2), compress=True)
