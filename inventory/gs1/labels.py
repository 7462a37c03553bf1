"""GS1-128 logistics labels (4 x 6 in) as PDF and PNG, barcodes encoded by zint (libzint bindings).

A label is laid out once as a list of drawing operations in points (1/72 in, origin at the
top left) and then drawn by two small back ends: reportlab for the PDF (vector bars) and
Pillow for the PNG (203 dpi, a thermal printer's resolution).

Barcodes follow the GS1 logistic label: the SSCC (00) alone at the bottom; above it, for a
package holding one batch of one product, (02) GTIN of the contained trade items with (37)
their count, and (17) expiry with (10) batch. (37) may only accompany (02), never (01): a
logistic unit is not itself a trade item (GS1 General Specifications, AI 37).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import zint
from PIL import Image, ImageDraw, ImageFont

PAGE_W, PAGE_H = 288.0, 432.0  # 4 × 6 in
MARGIN = 12.0
BAR_HEIGHT = 46.0
PNG_DPI = 203
# GS1 AI (10) holds at most 20 characters; a longer batch number stays in the text only.
BATCH_MAX = 20


@dataclass
class ContentLine:
    product_id: str
    name: str
    gtin: str
    batch_number: str
    expiry: date
    quantity: int


@dataclass
class LogisticLabel:
    sscc: str
    ship_from: list[str]
    ship_to: list[str]
    references: list[tuple[str, str]]
    contents: list[ContentLine]
    package_number: int = 1
    package_count: int = 1
    symbols: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.symbols:
            self.symbols = label_symbols(self.sscc, self.contents)


def label_symbols(sscc: str, contents: list[ContentLine]) -> list[str]:
    """The element strings of the label's barcodes, top to bottom (the SSCC last)."""
    symbols = []
    if len(contents) == 1 and contents[0].gtin:
        line = contents[0]
        symbols.append(f"(02){line.gtin.zfill(14)}(37){line.quantity}")
        batch = f"(10){line.batch_number}" if len(line.batch_number) <= BATCH_MAX else ""
        symbols.append(f"(17){line.expiry:%y%m%d}{batch}")
    symbols.append(f"(00){sscc}")
    return symbols


def _bars(element_string: str) -> tuple[float, list[tuple[float, float]]]:
    """(width in modules, [(x, width)] of the dark bars) of one GS1-128 symbol."""
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.GS1_128
    symbol.input_mode = zint.InputMode.GS1 | zint.InputMode.GS1PARENS
    symbol.show_text = False
    symbol.encode(element_string)
    symbol.buffer_vector()
    vector = symbol.vector
    # zint's vector units are twice a module at scale 1.
    return vector.width / 2, [(rect.x / 2, rect.width / 2) for rect in vector.rectangles]


def _human_sscc(sscc: str) -> str:
    return f"(00) {sscc[0]} {sscc[1:8]} {sscc[8:17]} {sscc[17]}"


def layout(label: LogisticLabel) -> list[tuple]:
    """Drawing operations: ("text", x, y, size, text, bold), ("box", x, y, w, h), ("rule", y)."""
    ops: list[tuple] = []
    y = MARGIN
    half = (PAGE_W - 2 * MARGIN) / 2
    ops.append(("text", MARGIN, y, 7, "FROM", True))
    ops.append(("text", MARGIN + half, y, 7, "TO", True))
    for index in range(5):
        left = label.ship_from[index] if index < len(label.ship_from) else ""
        right = label.ship_to[index] if index < len(label.ship_to) else ""
        ops.append(("text", MARGIN, y + 10 + index * 10, 8, left[:34], index == 0))
        ops.append(("text", MARGIN + half, y + 10 + index * 10, 8, right[:34], index == 0))
    y += 66
    ops.append(("rule", y))
    y += 6
    for name, value in label.references:
        ops.append(("text", MARGIN, y, 8, f"{name}: {value}"[:60], False))
        y += 10
    ops.append(("text", PAGE_W - MARGIN - 80, y - 10, 9, f"PACKAGE {label.package_number} OF {label.package_count}",
                True))
    y += 2
    ops.append(("rule", y))
    y += 6
    if len(label.contents) == 1:
        line = label.contents[0]
        for caption, value in (("CONTENT (02)", f"{line.gtin.zfill(14)}  {line.product_id}"),
                               ("", line.name[:46]), ("COUNT (37)", str(line.quantity)),
                               ("BATCH/LOT (10)", line.batch_number), ("USE BY (17)", f"{line.expiry:%Y-%m-%d}")):
            ops.append(("text", MARGIN, y, 7, caption, True))
            ops.append(("text", MARGIN + 72, y, 9, value, False))
            y += 11
    else:
        ops.append(("text", MARGIN, y, 7, "CONTENTS (MIXED)", True))
        y += 10
        for line in label.contents[:6]:
            ops.append(("text", MARGIN, y, 8, f"{line.product_id}  {line.batch_number}  {line.expiry:%Y-%m-%d}  "
                                              f"x {line.quantity}"[:60], False))
            y += 10
        if len(label.contents) > 6:
            ops.append(("text", MARGIN, y, 8, f"... and {len(label.contents) - 6} more lines (see the ASN)", False))
            y += 10
    y += 4
    ops.append(("text", MARGIN, y + 2, 7, "SSCC", True))
    ops.append(("text", MARGIN + 28, y, 11, _human_sscc(label.sscc), True))
    y = PAGE_H - MARGIN - len(label.symbols) * (BAR_HEIGHT + 22)
    for element_string in label.symbols:
        modules, bars = _bars(element_string)
        # Quiet zones of ten modules each side, and the widest module that fits.
        module = (PAGE_W - 2 * MARGIN) / (modules + 20)
        left = MARGIN + 10 * module + ((PAGE_W - 2 * MARGIN) - (modules + 20) * module) / 2
        for x, width in bars:
            ops.append(("box", left + x * module, y, width * module, BAR_HEIGHT))
        ops.append(("text", MARGIN + 20, y + BAR_HEIGHT + 3, 9, element_string, False))
        y += BAR_HEIGHT + 22
    return ops


def render_pdf(labels: list[LogisticLabel]) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_W, PAGE_H), invariant=True)
    pdf.setTitle("GS1 logistics labels")
    for label in labels:
        for op in layout(label):
            if op[0] == "text":
                _, x, y, size, text, bold = op
                pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
                pdf.drawString(x, PAGE_H - y - size, text)
            elif op[0] == "box":
                _, x, y, w, h = op
                pdf.rect(x, PAGE_H - y - h, w, h, stroke=0, fill=1)
            elif op[0] == "rule":
                pdf.setLineWidth(1)
                pdf.line(MARGIN, PAGE_H - op[1], PAGE_W - MARGIN, PAGE_H - op[1])
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _font(size_px: int, bold: bool):
    try:
        return ImageFont.load_default(size=size_px)
    except (TypeError, OSError):  # Pillow without FreeType: the bitmap font, one size
        return ImageFont.load_default()


def render_png(labels: list[LogisticLabel]) -> bytes:
    """One image: the labels one under the other (a single label per package)."""
    scale = PNG_DPI / 72
    width, height = round(PAGE_W * scale), round(PAGE_H * scale)
    image = Image.new("L", (width, height * len(labels)), 255)
    draw = ImageDraw.Draw(image)
    for index, label in enumerate(labels):
        top = index * height
        for op in layout(label):
            if op[0] == "text":
                _, x, y, size, text, bold = op
                draw.text((x * scale, top + y * scale), text, fill=0, font=_font(round(size * scale), bold))
            elif op[0] == "box":
                _, x, y, w, h = op
                # Whole pixels, so every bar keeps its width relative to the others.
                draw.rectangle([round(x * scale), top + round(y * scale), round((x + w) * scale) - 1,
                                top + round((y + h) * scale)], fill=0)
            elif op[0] == "rule":
                draw.line([(MARGIN * scale, top + op[1] * scale), ((PAGE_W - MARGIN) * scale, top + op[1] * scale)],
                          fill=0, width=2)
        if index:
            draw.line([(0, top), (width, top)], fill=128, width=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(PNG_DPI, PNG_DPI))
    return buffer.getvalue()
