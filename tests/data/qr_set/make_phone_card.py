#!/usr/bin/python3
"""Phone screens at the kiosk: the pre-registration page's card (assets/prereg)
shown on a phone held to the kiosk's webcam -> the phone_card category.

Run by hand, not in CI: the images and their expected.tsv rows are committed.
  apt-get install -y python3-numpy python3-pil python3-opencv node-qrcode-generator
  tests/prereg/test_prereg.py build        # the page's real cards, screenshotted by Chromium
  ./make_phone_card.py                     # phone_card/ from those screenshots + the page's encoder
  ./make_phone_card.py --sweep build/kiosk/shelterctl   # read rate per QR version (not saved)

What the camera sees: a phone (screen 6.8 cm wide, the page at 412 CSS px) at
15-35 cm from a 1280x720 webcam (a 640x480 one for some), 65 degree field of
view, turned up to 25 degrees; the card as the page draws it (code 380 CSS px
wide, title and names under it). Conditions, in turn: a bright screen
(overexposed, black lifted by the screen's own light), the RGB subpixel grid
sampled by the sensor (moire), a glare spot over the code, the phone's dark
theme, Chromium's forced dark mode (the page darkened, the code's canvas
kept), and a phone that inverts all colours (accessibility setting: light
modules on dark, for the reader's inverted pass).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

import cv2
import numpy as np

sys.dont_write_bytecode = True
from qrset_draw import background, noise, paste, save, shade, tilt_quad  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
SHOTS = os.path.join(ROOT, "tests", "artifacts", "prereg")
CONDITIONS = ["bright", "moire", "glare", "dark_theme", "forced_dark", "inverted"]
CSS = 2  # screen-content pixels per CSS pixel (the screenshots' device scale)


def page_codes():
    out = subprocess.run(["node", os.path.join(HERE, "phone_card_codes.mjs")], capture_output=True, text=True,
                         check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def drawn_card(modules, dark_page):
    """The card as app.js draws it: 8 px modules, 4 modules of white, a title
    and name lines under it, on a white card with a black border; scaled to
    380 CSS px of code."""
    mat = np.array([[c == "1" for c in row] for row in modules], np.uint8)
    n = mat.shape[0] + 8
    code = np.where(np.pad(mat, 4) == 1, 0, 255).astype(np.float32)
    code = cv2.resize(code, (380 * CSS, 380 * CSS), interpolation=cv2.INTER_NEAREST)
    card = np.full((int(560 * CSS), 404 * CSS), 255, np.float32)
    card[:4] = card[-4:] = 0
    card[:, :4] = card[:, -4:] = 0
    card[30 * CSS:36 * CSS, 120 * CSS:284 * CSS] = 20  # the title
    card[50 * CSS:50 * CSS + code.shape[0], 12 * CSS:12 * CSS + code.shape[1]] = code
    for k in range(4):  # the names
        y = (446 + 26 * k) * CSS
        card[y:y + 14 * CSS, 12 * CSS:(12 + 150 + 30 * k) * CSS] = 30
    return card, n


def shot_card(path):
    """A real card screenshot of the page (drive.mjs, *-card.png), gray."""
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    return img.astype(np.float32)


def phone_screen(card, dark_page, rng):
    """The phone's screen (412 CSS px wide) with the card on it."""
    w = 412 * CSS
    h = max(int(w * 1.6), card.shape[0] + 120 * CSS)
    bg = 18 if dark_page else 247
    screen = np.full((h, w), bg, np.float32)
    screen[: 24 * CSS] = 60 if dark_page else 30  # status bar
    x0 = (w - card.shape[1]) // 2
    y0 = min(int(rng.uniform(40, 120)) * CSS, h - card.shape[0])
    screen[y0:y0 + card.shape[0], x0:x0 + card.shape[1]] = card[:, : w - x0]
    return screen


def subpixels(content):
    """Each screen pixel as R, G, B stripes with a dark gap row (3x3)."""
    h, w = content.shape
    tex = np.zeros((h * 3, w * 3, 3), np.float32)
    big = np.repeat(np.repeat(content, 3, 0), 3, 1)
    for sub, ch in enumerate((2, 1, 0)):
        tex[:, sub::3, ch] = big[:, sub::3] * 1.2
    tex[2::3] *= 0.55
    return tex


def frame(rng, screen, cond, cam=(1280, 720), dist=None):
    w, h = cam
    dist = dist or rng.uniform(15, 35)
    ppcm = w / (2 * dist * np.tan(np.radians(32.5)))  # camera pixels per cm at that distance
    side = 6.8 * ppcm  # the screen's width in the frame
    body = subpixels(screen) if cond == "moire" else np.repeat(screen[:, :, None], 3, 2)
    if cond == "bright":  # the screen outshines the scene: whites clip, black is lifted
        body = body * 0.75 + rng.uniform(55, 90)
    body = np.pad(body, ((int(body.shape[0] * 0.05),) * 2, (int(body.shape[1] * 0.04),) * 2, (0, 0)),
                  constant_values=rng.uniform(5, 25))  # bezel
    img = background(rng, w, h, color=True)
    if cond == "bright":
        img *= 0.6  # exposure set for the screen
    cx, cy = w / 2 + rng.uniform(-0.12, 0.12) * w, h / 2 + rng.uniform(-0.05, 0.2) * h
    quad = tilt_quad(cx, cy, side * body.shape[1] / (412 * CSS * (3 if cond == "moire" else 1)),
                     rng.uniform(-20, 20), rng.uniform(-25, 10), rng.uniform(-20, 20),
                     aspect=body.shape[0] / body.shape[1])
    img = paste(img, body, quad)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 0.9))
    bright = np.clip(img - 200, 0, None)
    img = img + cv2.GaussianBlur(bright, (0, 0), rng.uniform(2, 5)) * rng.uniform(0.5, 1.2 if cond != "bright" else 2)
    if cond == "glare":  # a window or ceiling light on the glass, over part of the code
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        gx, gy = cx + rng.uniform(-0.3, 0.3) * side * 0.5, cy + rng.uniform(-0.3, 0.1) * side
        r = side * rng.uniform(0.08, 0.18)
        img = img + rng.uniform(110, 170) * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * r * r))[:, :, None]
    img = shade(img, rng, rng.uniform(0.1, 0.3))
    return noise(img, rng, rng.uniform(2, 4), 1.5), dist


def screen_for(cond, card_light, card_forced, rng):
    if cond in ("dark_theme", "forced_dark"):
        return phone_screen(card_forced if cond == "forced_dark" else card_light, True, rng)
    screen = phone_screen(card_light, False, rng)
    return 255 - screen if cond == "inverted" else screen


def category(rng):
    """phone_card/: the page's real screenshots (4 cards of four, version 11)
    and the encoder's 7-member card at the version limit (15)."""
    cards = {c["name"]: c for c in json.load(open(os.path.join(SHOTS, "cards.json")))}
    light = [(shot_card(os.path.join(SHOTS, n + "-card.png")), cards[n]["text"]) for n in ("card-ja", "card-en")]
    dark_theme = (shot_card(os.path.join(SHOTS, "card-dark-theme-card.png")), cards["card-dark-theme"]["text"])
    forced = (shot_card(os.path.join(SHOTS, "card-forced-dark-card.png")), cards["card-forced-dark"]["text"])
    big = next(c for c in page_codes() if c["version"] == 15)
    big_card = drawn_card(big["modules"], False)[0]
    jobs = []
    for i, cond in enumerate(CONDITIONS):
        base, text = {"dark_theme": dark_theme, "forced_dark": forced}.get(cond, light[i % 2])
        jobs.append((cond, base, base, text, "v11"))
    for cond in ("bright", "moire", "glare", "forced_dark"):
        jobs.append((cond, big_card, big_card, big["text"], "v15"))
    jobs.append(("moire", light[1][0], light[1][0], light[1][1], "v11"))
    jobs.append(("glare", light[0][0], light[0][0], light[0][1], "v11"))
    for i, (cond, card, card_forced, text, tag) in enumerate(jobs):
        screen = screen_for(cond, card, card_forced, rng)
        cam = (640, 480) if i in (3, 9) else (1280, 720)
        img, dist = frame(rng, screen, cond, cam, rng.uniform(12, 18) if cam[0] == 640 else None)
        yield "phone_card/%02d-%s-%s-%dcm.jpg" % (i, tag, cond.replace("_", "-"), dist), text, img


def sweep(ctl, rng, per=24):
    """Read rate of `shelterctl decode` per QR version: every condition, at
    1280x720, distances spread evenly over 15-35 cm; the misses listed."""
    tmp = tempfile.mkdtemp()
    print("| version | members | characters | px/module at 25 cm | read (of %d) | missed |" % per)
    for code in page_codes():
        if code["version"] not in (9, 11, 13, 15, 17, 19, 22):
            continue
        card = drawn_card(code["modules"], False)[0]
        read, missed = 0, []
        for i in range(per):
            cond = CONDITIONS[i % len(CONDITIONS)]
            dist = 15 + 20 * (i + 0.5) / per
            img, _ = frame(rng, screen_for(cond, card, card, rng), cond, dist=dist)
            path = os.path.join(tmp, "f.jpg")
            save(img, path, 75)
            r = subprocess.run([ctl, "decode", path], capture_output=True, text=True)
            ok = r.returncode == 0 and r.stdout.strip() == code["text"]
            read += ok
            if not ok:
                missed.append("%s %dcm" % (cond, dist))
        n = code["version"] * 4 + 17 + 8
        ppm = 6.8 * 1280 / (2 * 25 * np.tan(np.radians(32.5))) * 380 / 412 / n
        print("| %d | %d | %d | %.1f | %d | %s |" % (code["version"], code["members"], len(code["text"]), ppm, read,
                                                    ", ".join(missed)), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", metavar="SHELTERCTL", help="print the read rate per QR version instead")
    args = ap.parse_args()
    rng = random.Random(2311)
    np.random.seed(2311)
    if args.sweep:
        return sweep(args.sweep, rng)
    out = os.path.join(HERE, "phone_card")
    if os.path.isdir(out):
        for f in os.listdir(out):
            os.remove(os.path.join(out, f))
    tsv = os.path.join(HERE, "expected.tsv")
    expected = dict(line.rstrip("\n").split("\t", 1) for line in open(tsv) if line.strip())
    expected = {k: v for k, v in expected.items() if not k.startswith("phone_card/")}
    for rel, text, img in category(rng):
        save(img, os.path.join(HERE, rel), 75)
        expected[rel] = text
    with open(tsv, "w") as f:
        for rel in sorted(expected):
            f.write("%s\t%s\n" % (rel, expected[rel]))
    print("phone_card", sum(1 for k in expected if k.startswith("phone_card/")), "images")


if __name__ == "__main__":
    sys.exit(main())
