"""Drawing helpers for make_set.py: codes, cards, phone screens, backgrounds
and camera effects (blur, noise, shading, chroma) on float32 numpy images."""
import os

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SURNAMES = [("佐藤", "サトウ"), ("鈴木", "スズキ"), ("髙橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
            ("渡邉", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("齋藤", "サイトウ"),
            ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("﨑山", "サキヤマ"), ("長谷川", "ハセガワ")]

def code_tile(mat, px, quiet=4, dark=20, light=235):
    """The code with its quiet zone, px pixels per module (nearest neighbour)."""
    m = np.pad(mat, quiet)
    tile = np.where(m == 1, dark, light).astype(np.float32)
    return cv2.resize(tile, None, fx=px, fy=px, interpolation=cv2.INTER_NEAREST)


def tilt_quad(cx, cy, side, yaw=0.0, pitch=0.0, roll=0.0, f=1.2, aspect=1.0):
    """Corners (tl, tr, br, bl) of a rectangle `side` px wide, `aspect` times
    as high, seen turned by yaw / pitch (degrees, out of the image plane) and
    roll, focal length f*side."""
    a, b, c = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    h = side / 2
    v = h * aspect
    pts = np.array([[-h, -v, 0], [h, -v, 0], [h, v, 0], [-h, v, 0]]) @ (rz @ ry @ rx).T
    fl, z0 = f * side * 2, f * side * 2
    return np.array([[cx + fl * p[0] / (z0 + p[2]), cy + fl * p[1] / (z0 + p[2])] for p in pts], np.float32)


def paste(scene, tile, quad):
    """Warps `tile` (float gray or BGR) onto `scene` at corner quad."""
    th, tw = tile.shape[:2]
    src = np.array([[0, 0], [tw, 0], [tw, th], [0, th]], np.float32)
    hm = cv2.getPerspectiveTransform(src, np.asarray(quad, np.float32))
    size = (scene.shape[1], scene.shape[0])
    warped = cv2.warpPerspective(tile, hm, size, flags=cv2.INTER_AREA if th > 400 else cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((th, tw), np.float32), hm, size, flags=cv2.INTER_LINEAR)
    if scene.ndim == 3 and warped.ndim == 2:
        warped = np.repeat(warped[:, :, None], 3, 2)
    if scene.ndim == 3:
        mask = mask[:, :, None]
    return scene * (1 - mask) + warped * mask


def background(rng, w, h, kind=None, color=False):
    """Desk, wall, cloth or paper-like backgrounds with some texture."""
    kind = kind or rng.choice(["desk", "wall", "cloth", "gradient"])
    base = rng.uniform(70, 190)
    img = np.full((h, w), base, np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img += rng.uniform(-40, 40) * (xx / w - 0.5) + rng.uniform(-40, 40) * (yy / h - 0.5)
    if kind == "desk":  # wood-like grain
        img += 6 * np.sin(yy / rng.uniform(12, 30) + 3 * np.sin(xx / rng.uniform(60, 160)))
    elif kind == "cloth":
        img += 5 * np.sin(xx / 9.0) * np.sin(yy / 11.0)
    blotch = cv2.GaussianBlur(np.random.default_rng(rng.randrange(1 << 30)).normal(0, 25, (h // 8 + 1, w // 8 + 1)),
                              (0, 0), 3)
    img += cv2.resize(blotch.astype(np.float32), (w, h))
    # The background is out of focus behind the code (and costs few bytes).
    img = cv2.GaussianBlur(img, (0, 0), w / 400)
    if not color:
        return img
    tint = np.array([rng.uniform(0.8, 1.15), rng.uniform(0.9, 1.1), rng.uniform(0.8, 1.2)], np.float32)
    return img[:, :, None] * tint


def card_tile(rng, mat, px, text_lines=True):
    """A printed card: white paper, the code at one side, Japanese text."""
    code = code_tile(mat, px, quiet=2)
    ch = code.shape[0]
    w, h = int(ch * 1.75), int(ch * 1.12)
    paper = Image.new("L", (w, h), int(rng.uniform(225, 250)))
    d = ImageDraw.Draw(paper)
    d.rectangle([3, 3, w - 4, h - 4], outline=60, width=max(2, px // 3))
    if text_lines:
        font = ImageFont.truetype(FONT, max(10, ch // 11))
        small = ImageFont.truetype(FONT, max(8, ch // 17))
        x0 = ch + int(ch * 0.06)
        sur, _ = rng.choice(SURNAMES)
        d.text((x0, int(ch * 0.08)), "世帯カード", fill=30, font=font)
        d.text((x0, int(ch * 0.25)), sur + " 様 世帯", fill=30, font=font)
        for i, line in enumerate(["多摩市 避難所 受付用", "提示してください", "再発行: 市役所 防災課", "No. %05d" % rng.randrange(99999)]):
            d.text((x0, int(ch * (0.45 + 0.13 * i))), line, fill=50, font=small)
    arr = np.asarray(paper, np.float32).copy()
    off = int(ch * 0.06)
    arr[off:off + ch, off:off + ch] = code
    return arr


def shade(img, rng, strength):
    """Uneven light: a linear gradient plus a soft vignette."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, 2 * np.pi)
    g = 1 + strength * ((xx / w - 0.5) * np.cos(ang) + (yy / h - 0.5) * np.sin(ang))
    r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2
    g *= 1 - strength * 0.6 * r2
    return img * (g[:, :, None] if img.ndim == 3 else g)


def motion_blur(img, length, angle):
    k = np.zeros((length * 2 + 1, length * 2 + 1), np.float32)
    c = length
    dx, dy = np.cos(np.radians(angle)) * length / 2, np.sin(np.radians(angle)) * length / 2
    cv2.line(k, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0, 1,
             cv2.LINE_AA)
    return cv2.filter2D(img, -1, k / k.sum())


def defocus(img, radius):
    r = int(np.ceil(radius))
    k = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    cv2.circle(k, (r, r), max(1, int(round(radius))), 1.0, -1, cv2.LINE_AA)
    return cv2.filter2D(img, -1, k / k.sum())


def noise(img, rng, sigma, grain=0.0):
    """Sensor noise; grain > 0 blurs it a little, as a camera's demosaicing
    and denoising leave it (and JPEG stores it in fewer bytes)."""
    g = np.random.default_rng(rng.randrange(1 << 30))
    n = g.normal(0, sigma, img.shape).astype(np.float32)
    if grain > 0:
        n = cv2.GaussianBlur(n, (0, 0), grain) * (1 + grain)
    return img + n


def chroma_soft(bgr):
    """4:2:2-like: chroma at half horizontal resolution, then smeared."""
    ycc = cv2.cvtColor(np.clip(bgr, 0, 255).astype(np.uint8), cv2.COLOR_BGR2YCrCb).astype(np.float32)
    h, w = ycc.shape[:2]
    for ch in (1, 2):
        half = cv2.resize(ycc[:, :, ch], (w // 2, h), interpolation=cv2.INTER_AREA)
        ycc[:, :, ch] = cv2.GaussianBlur(cv2.resize(half, (w, h), interpolation=cv2.INTER_LINEAR), (5, 1), 0)
    return cv2.cvtColor(np.clip(ycc, 0, 255).astype(np.uint8), cv2.COLOR_YCrCb2BGR).astype(np.float32)


def save(img, path, quality=None):
    arr = np.clip(img, 0, 255).astype(np.uint8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if path.endswith(".png"):
        cv2.imwrite(path, arr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    else:
        cv2.imwrite(path, arr, [cv2.IMWRITE_JPEG_QUALITY, quality or 80, cv2.IMWRITE_JPEG_OPTIMIZE, 1])


