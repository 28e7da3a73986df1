#!/usr/bin/python3
"""Generates the QR decode test set (tests/data/qr_set), one folder per category.

Run by hand, not in CI: the images, payloads.tsv and expected.tsv are committed.
  apt-get install -y python3-numpy python3-pil python3-opencv python3-cryptography \
      qrencode fonts-noto-cjk
  ./make_set.py --payloads path/to/shelterctl   # new payloads (cards, passes): once
  ./make_set.py                                 # images from payloads.tsv
Payloads hold signatures and the day a pass was printed, so they are made once
and kept in payloads.tsv; the images come from fixed seeds and are the same on
every run with the same library versions.
"""
import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.dont_write_bytecode = True  # no __pycache__ among the committed images
from qrset_draw import (FONT, SURNAMES, background, card_tile, chroma_soft, code_tile, defocus,  # noqa: E402
                        motion_blur, noise, paste, save, shade, tilt_quad)

HERE = os.path.dirname(os.path.abspath(__file__))
GIVEN = [("一郎", "イチロウ", "M"), ("和子", "カズコ", "F"), ("𠮷男", "ヨシオ", "M"), ("花子", "ハナコ", "F"),
         ("翔太", "ショウタ", "M"), ("美咲", "ミサキ", "F"), ("健二", "ケンジ", "M"), ("陽菜", "ヒナ", "F"),
         ("大輔", "ダイスケ", "M"), ("さくら", "サクラ", "F"), ("蒼", "アオイ", "X"), ("恵美子", "エミコ", "F"),
         ("勇", "イサム", "M"), ("千代", "チヨ", "F"), ("悠真", "ユウマ", "M"), ("結衣", "ユイ", "F")]
NEEDS = ["", "", "", "care", "medical_device", "infant", "pregnant", "disability", "allergy", "illness"]
TOWNS = ["東京都多摩市落合1-2-3", "神奈川県川崎市中原区小杉町3-264", "宮城県石巻市中央2-8-1", "熊本県益城町宮園702",
         "静岡県静岡市葵区追手町9-6", "高知県高知市本町5-1-45", ""]
URLS = ["https://www.city.example.lg.jp/bousai/", "https://www.bousai.example.jp/hinanjo/tama-01?lang=ja",
        "https://maps.example.jp/?q=35.6250,139.4240&z=17", "https://www.jma.example.go.jp/bosai/warning/"]


# ---------------------------------------------------------------- payloads
def make_payloads(ctl):
    """Cards from generated CSVs (some signed with a card key from a fixed
    seed), passes of checked-in persons, URLs -> payloads.tsv."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
    rng = random.Random(20261204)
    tmp = tempfile.mkdtemp()
    rows = []
    try:
        seed = bytes(range(32))
        pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        key = os.path.join(tmp, "card.key")
        with open(key, "w") as f:
            f.write('{"v": 1, "kind": "card", "public_key": "%s", "seed": "%s"}\n' % (pub.hex(), seed.hex()))
        header = ["household", "household_id", "person_id", "name", "reading", "sex", "birth", "needs",
                  "needs_other", "consent", "address", "phone"]
        for batch in range(4):
            path = os.path.join(tmp, "r%d.csv" % batch)
            with open(path, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(header)
                for h in range(5):
                    sur, sur_k = rng.choice(SURNAMES)
                    hid = "%016x" % rng.getrandbits(64)
                    addr, phone = rng.choice(TOWNS), rng.choice(["", "090-%04d-%04d" % (rng.randrange(10000),
                                                                                        rng.randrange(10000))])
                    for m in range(rng.choice([1, 1, 2, 3, 4, 5, 6, 8])):
                        g, g_k, sex = rng.choice(GIVEN)
                        need = rng.choice(NEEDS)
                        other = rng.choice(["", "在宅酸素", "そばアレルギー", "人工透析 週3回"]) if need else ""
                        birth = "%d-%02d-%02d" % (rng.randrange(1930, 2025), rng.randrange(1, 13), rng.randrange(1, 29))
                        w.writerow([chr(65 + h), hid, "%016x" % rng.getrandbits(64), sur + " " + g, sur_k + " " + g_k,
                                    sex, birth, need, other, rng.choice(["1", "0"]), addr if m == 0 else "",
                                    phone if m == 0 else ""])
            out = os.path.join(tmp, "cards%d" % batch)
            cmd = [ctl, "make-card", path, "--out", out, "--format", "png"]
            if batch % 2 == 0:
                cmd += ["--card-key", key]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            for name in sorted(os.listdir(out)):
                if name.endswith(".png"):
                    text = subprocess.run([ctl, "decode", os.path.join(out, name)], check=True,
                                          capture_output=True, text=True).stdout.strip()
                    rows.append(("card%d%s" % (batch, name[10:-4]), text))
        # Passes: check in one card's household, then print its members' passes.
        db = os.path.join(tmp, "k.db")
        subprocess.run([ctl, "--db", db, "init", "--shelter", "tama-01", "--device", "tama-01-a"], check=True,
                       stdout=subprocess.DEVNULL)
        for batch in (1, 3):
            for name in sorted(os.listdir(os.path.join(tmp, "cards%d" % batch)))[:3]:
                if name.endswith(".png"):
                    subprocess.run([ctl, "--db", db, "import-card", os.path.join(tmp, "cards%d" % batch, name)],
                                   check=True, stdout=subprocess.DEVNULL)
        listing = subprocess.run([ctl, "--db", db, "list"], check=True, capture_output=True, text=True).stdout
        ids = sorted({tok for line in listing.splitlines() for tok in line.split()
                      if len(tok) >= 8 and all(c in "0123456789abcdef" for c in tok)})
        for i, pid in enumerate(ids[:12]):
            text = subprocess.run([ctl, "--db", db, "pass", pid], check=True, capture_output=True,
                                  text=True).stdout.strip()
            rows.append(("pass%02d" % i, text))
        for i, u in enumerate(URLS):
            rows.append(("url%d" % i, u))
    finally:
        shutil.rmtree(tmp)
    for name, text in rows:
        assert text and "\t" not in text and "\n" not in text, name
    with open(os.path.join(HERE, "payloads.tsv"), "w") as f:
        for name, text in rows:
            f.write("%s\t%s\n" % (name, text))
    print("payloads:", len(rows), "of which passes:", sum(1 for n, _ in rows if n.startswith("pass")))


def load_payloads():
    with open(os.path.join(HERE, "payloads.tsv")) as f:
        return [tuple(line.rstrip("\n").split("\t", 1)) for line in f if line.strip()]


def qr_matrix(text):
    """Modules (1 = dark) from qrencode at EC level M, as the kiosk prints."""
    png = subprocess.run(["qrencode", "-l", "M", "-s", "1", "-m", "0", "-t", "PNG", "-o", "-", text],
                         check=True, capture_output=True).stdout
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    return (img < 128).astype(np.uint8)


# ---------------------------------------------------------------- categories
def photo(rng, w, h, ss=2, color=False, kind=None):
    return background(rng, w * ss, h * ss, kind, color)


def finish(img, w, h, rng, sigma=3.0, blur=0.0):
    """Supersampled scene -> camera: downsample, lens softness, sensor noise."""
    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    if blur > 0:
        img = cv2.GaussianBlur(img, (0, 0), blur)
    return noise(img, rng, sigma * 0.5, 1.5) if sigma > 0 else img


def code_quad(mat, module, cx, cy, yaw=0.0, pitch=0.0, roll=0.0, quiet=4):
    side = (mat.shape[0] + 2 * quiet) * module
    return tilt_quad(cx, cy, side, yaw, pitch, roll)


def capped(module, mat, side):
    """Module size, no more than a code of `side` px with its quiet zone:
    codes larger than that are easy and cost many bytes."""
    return min(module, side / (mat.shape[0] + 8))


def pick_size(rng, phone_photo=False):
    if phone_photo:
        return (1600, 1200)
    sizes = [(640, 480)] * 6 + [(800, 600), (1280, 720)]
    return rng.choice(sizes)


def cat_clean(rng, pl, out):
    for i in range(10):
        name, text = pl[i * 3 % len(pl)]
        mat = qr_matrix(text)
        w, h = rng.choice([(640, 480), (800, 600)])
        module = capped(rng.uniform(3.5, 6), mat, 200)
        ss = 2
        img = photo(rng, w, h, ss)
        q = code_quad(mat, module * ss, w * ss / 2 + rng.uniform(-60, 60), h * ss / 2 + rng.uniform(-40, 40),
                      rng.uniform(-8, 8), rng.uniform(-8, 8), rng.uniform(-15, 15))
        img = paste(img, code_tile(mat, 8), q)
        yield "clean/%02d-%s.jpg" % (i, name), text, finish(img, w, h, rng, 2, 0.4), 75


def cat_inverted(rng, pl, out):
    for i in range(20):
        name, text = pl[(i * 5 + 1) % len(pl)]
        mat = qr_matrix(text)
        w, h = pick_size(rng)
        ss = 2
        dark_mode = i % 2 == 1
        module = capped(rng.uniform(2.4, 5), mat, min(0.6 * h, 200))
        img = photo(rng, w, h, ss, kind="desk" if dark_mode else None)
        cx, cy = w * ss / 2 + rng.uniform(-0.2, 0.2) * w, h * ss / 2 + rng.uniform(-0.15, 0.15) * h
        yaw, pitch, roll = rng.uniform(-25, 25), rng.uniform(-25, 25), rng.uniform(-30, 30)
        if dark_mode:  # phone in dark mode: black screen, light modules, a bezel
            lit = rng.uniform(170, 250)
            screen = np.full((int(mat.shape[0] * 12 * 2.1), (mat.shape[0] + 8) * 12), rng.uniform(8, 30), np.float32)
            tile = code_tile(mat, 12, quiet=4, dark=lit, light=float(screen[0, 0]))
            y0 = (screen.shape[0] - tile.shape[0]) // 2
            screen[y0:y0 + tile.shape[0], :] = tile
            body = np.pad(screen, 40, constant_values=rng.uniform(5, 25))
            side = (mat.shape[0] + 8) * module * ss
            quad = tilt_quad(cx, cy, side * body.shape[1] / screen.shape[1], yaw, pitch, roll,
                             aspect=body.shape[0] / body.shape[1])
            img = paste(img, body, quad)
            glow = cv2.GaussianBlur(np.clip(img - 150, 0, None), (0, 0), ss * rng.uniform(1, 3))
            img = img + glow * rng.uniform(0.2, 0.6)
        else:  # printed light-on-dark (a reversed print, a sticker)
            q = code_quad(mat, module * ss, cx, cy, yaw, pitch, roll)
            img = paste(img, code_tile(mat, 8, dark=rng.uniform(200, 240), light=rng.uniform(15, 60)), q)
            img = shade(img, rng, rng.uniform(0.1, 0.5))
        yield "inverted/%02d-%s.jpg" % (i, "dark" if dark_mode else "print"), text, \
            finish(img, w, h, rng, rng.uniform(2, 6), rng.uniform(0.3, 0.8)), 75


def cat_tilted(rng, pl, out):
    for i in range(16):
        name, text = pl[(i * 7 + 2) % len(pl)]
        mat = qr_matrix(text)
        w, h = pick_size(rng)
        ss = 3
        img = photo(rng, w, h, ss)
        tilt = rng.uniform(45, 65)
        ang = rng.uniform(0, 2 * np.pi)
        yaw, pitch = tilt * np.cos(ang), tilt * np.sin(ang)
        module = capped(rng.uniform(2.8, 4.5), mat, min(0.5 * h, 260))
        paper = np.pad(code_tile(mat, 8, quiet=4), 8 * 6, constant_values=rng.uniform(215, 245))
        side = paper.shape[0] / 8 * module * ss
        quad = tilt_quad(w * ss / 2 + rng.uniform(-0.15, 0.15) * w * ss, h * ss / 2 + rng.uniform(-0.1, 0.1) * h * ss,
                         side, yaw, pitch, rng.uniform(-40, 40), f=rng.uniform(0.9, 1.6))
        img = paste(img, paper, quad)
        img = shade(img, rng, rng.uniform(0.1, 0.6))
        yield "tilted/%02d-t%02d.jpg" % (i, int(tilt)), text, finish(img, w, h, rng, rng.uniform(1.5, 4), 0.5), 75


def cat_small(rng, pl, out):
    for i in range(20):
        name, text = pl[(i * 3 + 4) % len(pl)]
        mat = qr_matrix(text)
        w, h = pick_size(rng)
        ss = 4
        module = rng.uniform(1.6, 2.4)
        img = photo(rng, w, h, ss)
        side = (mat.shape[0] + 8) * module * ss
        cx = rng.uniform(side / 2 + 20, w * ss - side / 2 - 20)
        cy = rng.uniform(side / 2 + 20, h * ss - side / 2 - 20)
        q = code_quad(mat, module * ss, cx, cy, rng.uniform(-15, 15), rng.uniform(-15, 15), rng.uniform(-20, 20))
        img = paste(img, code_tile(mat, 8, dark=rng.uniform(15, 50), light=rng.uniform(190, 240)), q)
        yield "small/%02d-m%02d.jpg" % (i, int(module * 10)), text, \
            finish(img, w, h, rng, rng.uniform(1.5, 3), rng.uniform(0.45, 0.75)), 75


def cat_blurred(rng, pl, out):
    for i in range(16):
        name, text = pl[(i * 5 + 3) % len(pl)]
        mat = qr_matrix(text)
        w, h = pick_size(rng)
        ss = 2
        motion = i < 11
        # Motion blur of 0.9-2 modules, defocus radius 0.5-0.9 module:
        # smeared, still readable by a good phone app.
        module = capped(rng.uniform(3.5, 8), mat, min(0.65 * h, 300))
        length = int(np.clip(round(module * rng.uniform(0.9, 2.0)), 3, 12))
        radius = float(np.clip(module * rng.uniform(0.5, 0.9), 2, 5))
        img = photo(rng, w, h, ss)
        q = code_quad(mat, module * ss, w * ss / 2 + rng.uniform(-0.15, 0.15) * w, h * ss / 2,
                      rng.uniform(-15, 15), rng.uniform(-15, 15), rng.uniform(-30, 30))
        img = paste(img, code_tile(mat, 8), q)
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        img = motion_blur(img, length, rng.uniform(0, 180)) if motion else defocus(img, radius)
        label = "motion%02d" % length if motion else "defocus%d" % int(radius * 10)
        yield "blurred/%02d-%s.jpg" % (i, label), text, noise(img, rng, 2, 1.5), 75


def cat_noisy(rng, pl, out):
    for i in range(8):
        name, text = pl[(i * 7 + 5) % len(pl)]
        mat = qr_matrix(text)
        w, h = 640, 480  # noise costs bytes
        ss = 2
        module = capped(rng.uniform(3.5, 6), mat, 240)
        img = photo(rng, w, h, ss)
        q = code_quad(mat, module * ss, w * ss / 2 + rng.uniform(-0.2, 0.2) * w, h * ss / 2,
                      rng.uniform(-15, 15), rng.uniform(-15, 15), rng.uniform(-30, 30))
        img = paste(img, code_tile(mat, 8), q)
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        light = rng.uniform(0.12, 0.45)  # low light: everything dim, then some gain
        img = shade(img * light, rng, rng.uniform(0.2, 0.7)) * rng.uniform(1, 0.8 / light)
        # Demosaicing leaves the noise correlated over 2-3 pixels (its std is
        # then 0.6 sigma; white noise would cost three times the bytes).
        sigma = rng.uniform(25, 45)
        yield "noisy/%02d-s%02d.jpg" % (i, int(sigma)), text, noise(img, rng, sigma, 0.8), 75



def screen_texture(content, rng):
    """A phone screen up close: each pixel an RGB subpixel triple with dark
    gaps between pixels (4x4 texture pixels per screen pixel)."""
    h, w = content.shape
    tex = np.zeros((h * 4, w * 4, 3), np.float32)
    big = np.repeat(np.repeat(content, 4, 0), 4, 1)
    for sub, ch in enumerate((2, 1, 0)):  # R, G, B stripes left to right (BGR order)
        tex[:, sub::4, ch] = big[:, sub::4] * 1.25
    tex[3::4, :, :] *= 0.6
    return tex


def cat_phone_screen(rng, pl, out):
    for i in range(16):
        name, text = pl[(i * 5 + 2) % len(pl)]
        mat = qr_matrix(text)
        w, h = pick_size(rng, i == 5)
        dark_mode = i % 3 == 2
        n = mat.shape[0] + 8
        spx = max(3, int(rng.uniform(260, 400) / n))  # screen pixels per module
        sw = n * spx + 2 * rng.randrange(6, 20)
        sh = int(sw * rng.uniform(1.7, 2.1))
        bgv = rng.uniform(8, 25) if dark_mode else rng.uniform(225, 250)
        content = np.full((sh, sw), bgv, np.float32)
        content[: sh // 8] = 40 if not dark_mode else 50  # status / title bar
        code = code_tile(mat, spx, dark=235 if dark_mode else 10, light=bgv)
        y0, x0 = (sh - code.shape[0]) // 2, (sw - code.shape[1]) // 2
        content[y0:y0 + code.shape[0], x0:x0 + code.shape[1]] = code
        tex = screen_texture(content, rng)
        body = np.pad(tex, ((60, 60), (24, 24), (0, 0)), constant_values=rng.uniform(5, 30))
        img = background(rng, w, h, color=True)
        module = capped(rng.uniform(4, 7), mat, min(0.6 * h, 220))
        side = n * module  # camera pixels for the code's width with quiet zone
        scale = side / (n * spx * 4)
        cx, cy = w / 2 + rng.uniform(-0.15, 0.15) * w, h / 2 + rng.uniform(-0.1, 0.1) * h
        quad = tilt_quad(cx, cy, body.shape[1] * scale, rng.uniform(-25, 25), rng.uniform(-25, 25),
                         rng.uniform(-25, 25), aspect=body.shape[0] / body.shape[1])
        img = paste(img, body, quad)  # direct sampling of the subpixel grid: moire
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 0.9))
        bright = np.clip(img - 200, 0, None)  # blooming of a bright screen
        img = img + cv2.GaussianBlur(bright, (0, 0), rng.uniform(2, 6)) * rng.uniform(0.5, 1.5)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        gx, gy = cx + rng.uniform(-0.4, 0.4) * side, cy + rng.uniform(-0.4, 0.4) * side
        r = side * rng.uniform(0.12, 0.3)
        glare = rng.uniform(30, 100) * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * r * r))
        img = shade(img, rng, rng.uniform(0.1, 0.4)) + glare[:, :, None]
        img = noise(img, rng, rng.uniform(2, 4), 1.5)
        yield "phone_screen/%02d-%s.jpg" % (i, "dark" if dark_mode else "light"), text, img, 75


def card_photo(rng, mat, w, h, module_of, tilt_range, f_range, text_lines=True):
    """A printed card (code, Japanese text) on a desk, photographed at an angle: the picture and the tilt."""
    ss = 2
    card = card_tile(rng, mat, 8, text_lines=text_lines)
    card = np.repeat(card[:, :, None], 3, 2) * np.array([0.93, 0.98, 1.0], np.float32)
    img = photo(rng, w, h, ss, color=True, kind="desk")
    side = card.shape[1] / 8 * module_of() * ss
    tilt = rng.uniform(*tilt_range)
    ang = rng.uniform(0, 2 * np.pi)
    quad = tilt_quad(w * ss / 2 + rng.uniform(-0.1, 0.1) * w, h * ss / 2 + rng.uniform(-0.1, 0.1) * h, side,
                     tilt * np.cos(ang), tilt * np.sin(ang), rng.uniform(-30, 30), f=rng.uniform(*f_range),
                     aspect=card.shape[0] / card.shape[1])
    return paste(img, card, quad), tilt


def cat_printed_angle(rng, pl, out):
    for i in range(14):
        name, text = pl[(i * 3 + 1) % 20]  # cards only
        mat = qr_matrix(text)
        w, h = pick_size(rng, i == 5)
        img, tilt = card_photo(rng, mat, w, h, lambda: capped(rng.uniform(3, 5.5), mat, min(0.4 * w / 1.75, 220)),
                               (25, 45), (1.0, 1.6))
        img = shade(img, rng, rng.uniform(0.3, 0.9))
        yield "printed_angle/%02d-t%02d.jpg" % (i, int(tilt)), text, \
            finish(img, w, h, rng, rng.uniform(1.5, 4), rng.uniform(0.4, 0.8)), 75


def webcam_frame(rng, pl, w, h, i, module_range, fill, soft):
    name, text = pl[(i * 7 + 3) % 32]  # cards and passes: Japanese households
    mat = qr_matrix(text)
    ss = 2
    card = card_tile(rng, mat, 8, text_lines=rng.random() < 0.7)
    card = np.repeat(card[:, :, None], 3, 2) * np.array([rng.uniform(0.85, 1), 0.97, 1.0], np.float32)
    img = photo(rng, w, h, ss, color=True, kind=rng.choice(["wall", "gradient", "cloth"]))
    # A card held up at 30-80 cm: it fills `fill` of the frame's height at most.
    module = min(rng.uniform(*module_range), rng.uniform(*fill) * h / (card.shape[0] / 8))
    side = card.shape[1] / 8 * module * ss
    cx = w * ss / 2 + rng.uniform(-0.5, 0.5) * max(0, w * ss - side * 1.1)
    cy = h * ss / 2 + rng.uniform(-0.5, 0.5) * max(0, h * ss - side * 0.8)
    quad = tilt_quad(cx, cy, side, rng.uniform(-30, 30), rng.uniform(-30, 30), rng.uniform(-40, 40),
                     aspect=card.shape[0] / card.shape[1])
    img = paste(img, card, quad)
    # A hand: fingers over the card's edge, away from the code.
    skin = np.array([rng.uniform(120, 170), rng.uniform(150, 190), rng.uniform(190, 235)], np.float32)
    edge = quad[rng.choice([1, 2])]
    for f in range(4):
        p = edge + (quad[0] - quad[1]) * 0.02 * f * 3 + np.array([rng.uniform(-5, 5), f * side * 0.06])
        cv2.ellipse(img, (int(p[0]), int(p[1])), (int(side * 0.09), int(side * 0.03)), rng.uniform(-30, 30), 0, 360,
                    tuple(float(v) for v in skin), -1, cv2.LINE_AA)
    light = rng.uniform(0.35, 1.1)
    img = shade(img * light, rng, rng.uniform(0.2, 0.8))
    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.4:
        img = motion_blur(img, rng.randint(2, 4), rng.uniform(0, 180))
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(*soft))  # a cheap lens, autofocus hunting
    img = chroma_soft(noise(img, rng, rng.uniform(1, 2.5) / max(light, 0.6), 1.5))
    return name, text, img


def cat_webcam480(rng, pl, out):
    for i in range(36):
        name, text, img = webcam_frame(rng, pl, 640, 480, i, (2.2, 6), (0.3, 0.5), (0.4, 0.8))
        yield "webcam480/%02d-%s.jpg" % (i, name), text, img, 75


def cat_webcam720(rng, pl, out):
    for i in range(36):
        name, text, img = webcam_frame(rng, pl, 1280, 720, i + 100, (3, 6.5), (0.2, 0.4), (0.5, 1.0))
        yield "webcam720/%02d-%s.jpg" % (i, name), text, img, 75


def cat_negatives(rng, pl, out):
    kinds = ["checker", "grid", "stripes", "text", "tiles", "blobs", "screen", "noise", "modules", "squares"]
    font = ImageFont.truetype(FONT, 36)
    for i in range(22):
        kind = kinds[i % len(kinds)]
        w, h = 640, 480
        img = background(rng, w, h)
        if kind == "checker":
            s = rng.randrange(16, 48)
            yy, xx = np.mgrid[0:h, 0:w]
            img = np.where(((yy // s + xx // s) % 2) == 0, 40, 220).astype(np.float32)
            img = paste(background(rng, w, h), img, tilt_quad(w / 2, h / 2, w * 0.8, rng.uniform(-30, 30),
                                                              rng.uniform(-30, 30), rng.uniform(-30, 30)))
        elif kind == "grid":
            s = rng.randrange(16, 40)
            img[::s, :] = 30
            img[:, ::s] = 30
        elif kind == "stripes":  # barcode-like
            x = rng.randrange(40, 200)
            while x < w - 60:
                bw = rng.choice([2, 2, 4, 6, 8])
                img[h // 4:3 * h // 4, x:x + bw] = 20
                x += bw + rng.choice([2, 4, 6])
        elif kind == "text":
            pil = Image.fromarray(np.clip(img * 0 + 235, 0, 255).astype(np.uint8))
            d = ImageDraw.Draw(pil)
            for y in range(10, h - 50, 72):
                d.text((20, y), "".join(rng.choice("避難所受付世帯番号氏名住所電話高齢者乳幼児ABCD0123456789 ")
                                        for _ in range(w // 40)), fill=25, font=font)
            img = np.asarray(pil, np.float32)
        elif kind == "tiles":
            s = rng.randrange(20, 60)
            for y in range(0, h, s):
                for x in range(0, w, s):
                    img[y + 2:y + s - 2, x + 2:x + s - 2] = rng.uniform(60, 220)
        elif kind == "blobs":  # face-like: ovals with two eyes and a mouth
            for _ in range(rng.randrange(1, 4)):
                cx, cy, r = rng.randrange(80, w - 80), rng.randrange(80, h - 80), rng.randrange(40, 90)
                cv2.ellipse(img, (cx, cy), (r, int(r * 1.3)), 0, 0, 360, rng.uniform(150, 210), -1)
                for ex in (-1, 1):
                    cv2.circle(img, (cx + ex * r // 3, cy - r // 4), r // 7, 30, -1)
                cv2.ellipse(img, (cx, cy + r // 2), (r // 3, r // 8), 0, 0, 180, 40, -1)
        elif kind == "screen":  # a UI: bars, buttons, lines of text
            img[:] = 240
            img[:50] = 60
            for y in range(80, h - 40, 60):
                img[y:y + 40, 40:rng.randrange(200, w - 40)] = rng.choice([90, 200, 150])
        elif kind == "noise":
            img = cv2.GaussianBlur(np.random.default_rng(i).uniform(0, 255, (h, w)).astype(np.float32), (0, 0), 3) * 2 - 128
        elif kind == "modules":  # random modules with no finder patterns (a logo, a mosaic)
            m = np.random.default_rng(i).integers(0, 2, (33, 33)).astype(np.uint8)
            img = paste(img, code_tile(m, 8), tilt_quad(w / 2, h / 2, min(w, h) * 0.6, 10, 5, rng.uniform(-20, 20)))
        elif kind == "squares":  # nested squares like finder patterns, but only two
            for k in range(2):
                x, y, s = 100 + k * 250, 120, 70
                img[y:y + s, x:x + s] = 20
                img[y + 10:y + s - 10, x + 10:x + s - 10] = 230
                img[y + 20:y + s - 20, x + 20:x + s - 20] = 20
        img = finish(img, w, h, rng, rng.uniform(1.5, 3), rng.uniform(0.7, 1.0))
        yield "negatives/%02d-%s.jpg" % (i, kind), "", img, 75

# Old QR Code Model 1 symbols (ZXing 1.4 cannot read them): short texts such
# codes carried, drawn by the test encoder tests/tools/make_model1.cpp
# (MAKE_MODEL1, default build/tests/make-model1), printed and photographed
# at an angle.
MODEL1_TEXTS = ["4901234567894", "SHELTER-CARD-0001", "TAMA CITY 1998", "0123456789012345678901234567890",
                "HTTP://WWW.CITY.EXAMPLE.LG.JP/", "ID:47-0019-3321", "OLD MEMBER CARD 0042", "2026-12-04 A-17",
                "K-POINT 000123456", "EVAC NO 88"]


def model1_matrix(text):
    tool = os.environ.get("MAKE_MODEL1", os.path.join(HERE, "..", "..", "..", "build", "tests", "make-model1"))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "m1.png")
        subprocess.run([tool, text, out, "--scale", "1"], check=True, capture_output=True)
        img = cv2.imread(out, cv2.IMREAD_GRAYSCALE)
    mat = (img < 128).astype(np.uint8)
    ys, xs = np.nonzero(mat)
    return mat[ys.min():ys.max() + 1, xs.min():xs.max() + 1]  # without the quiet zone


def cat_model1(rng, pl, out):
    for i, text in enumerate(MODEL1_TEXTS):
        mat = model1_matrix(text)
        w, h = (640, 480) if i % 2 == 0 else (1280, 720)
        img, tilt = card_photo(rng, mat, w, h, lambda: rng.uniform(4, 7), (5, 30), (1.2, 1.6), text_lines=i % 3 != 0)
        img = shade(img, rng, rng.uniform(0.2, 0.6))
        yield "model1/%02d-t%02d.jpg" % (i, int(tilt)), text, \
            finish(img, w, h, rng, rng.uniform(1.5, 3), rng.uniform(0.3, 0.6)), 80


CATEGORIES = {"clean": cat_clean, "inverted": cat_inverted, "tilted": cat_tilted, "small": cat_small,
              "blurred": cat_blurred, "noisy": cat_noisy, "phone_screen": cat_phone_screen,
              "printed_angle": cat_printed_angle, "webcam480": cat_webcam480, "webcam720": cat_webcam720,
              "negatives": cat_negatives, "model1": cat_model1}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--payloads", metavar="SHELTERCTL", help="make new payloads with this shelterctl first")
    ap.add_argument("--only", help="only this category (for tuning)")
    args = ap.parse_args()
    if args.payloads:
        make_payloads(args.payloads)
    payloads = load_payloads()
    expected = {}
    if os.path.exists(os.path.join(HERE, "expected.tsv")):
        with open(os.path.join(HERE, "expected.tsv")) as f:
            expected = dict(line.rstrip("\n").split("\t", 1) for line in f if line.strip())
    for seed, (cat, fn) in enumerate(CATEGORIES.items()):
        if args.only and cat != args.only:
            continue
        shutil.rmtree(os.path.join(HERE, cat), ignore_errors=True)
        expected = {k: v for k, v in expected.items() if not k.startswith(cat + "/")}
        rng = random.Random(1000 + seed)
        np.random.seed(1000 + seed)
        for rel, text, img, quality in fn(rng, payloads, HERE):
            assert "\t" not in text and "\n" not in text, rel
            save(img, os.path.join(HERE, rel), quality)
            expected[rel] = text
        print(cat, sum(1 for k in expected if k.startswith(cat + "/")), "images")
    with open(os.path.join(HERE, "expected.tsv"), "w") as f:
        for rel in sorted(expected):
            f.write("%s\t%s\n" % (rel, expected[rel]))


if __name__ == "__main__":
    sys.exit(main())
