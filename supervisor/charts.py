"""Server-side SVG charts for the report page (no script, no external asset)."""
from __future__ import annotations

from collections.abc import Mapping
from html import escape

W, H, PAD = 760, 260, 40
COLORS = {"answered": "#2e7d32", "abandoned": "#c62828", "short_abandoned": "#ef9a9a", "overflowed": "#f9a825"}
NAMES = {"answered": "接通", "abandoned": "放弃", "short_abandoned": "短时放弃", "overflowed": "溢出"}


def calls_chart(rows: list[Mapping]) -> str:
    """Stacked bars per group (answered / abandoned / short abandons / overflowed) and the answer-rate line."""
    if not rows:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="60" role="img"><text x="10" y="35">无数据</text></svg>'
    top = max(max(sum(r[k] for k in COLORS), 1) for r in rows)
    slot = (W - 2 * PAD) / len(rows)
    bar = min(60.0, max(2.0, slot * 0.7))  # one day must not be a wall of green
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" '
              f'aria-label="来电统计图" class="report-chart">'),
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#999"/>',
             f'<text x="4" y="{PAD - 8}" font-size="11">{top}</text>',
             f'<text x="{W - PAD + 4}" y="{PAD + 4}" font-size="11" fill="#1565c0">100%</text>',
             f'<text x="{W - PAD + 4}" y="{H - PAD}" font-size="11" fill="#1565c0">0%</text>']
    points = []
    for i, r in enumerate(rows):
        x, y = PAD + i * slot + (slot - bar) / 2, H - PAD
        for k, color in COLORS.items():
            h = (H - 2 * PAD) * r[k] / top
            if h > 0:
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}">'
                             f'<title>{escape(str(r["label"]))} {NAMES[k]} {r[k]}</title></rect>')
        if r.get("answer_rate") is not None:
            points.append(f"{x + bar / 2:.1f},{H - PAD - (H - 2 * PAD) * r['answer_rate']:.1f}")
        if len(rows) <= 31 or i % max(1, len(rows) // 24) == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{H - PAD + 14}" font-size="10" text-anchor="middle">'
                         f'{escape(str(r["label"])[-5:])}</text>')
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    legend = list(NAMES.items()) + [("answer_rate", "接听率(右轴 0–100%)")]
    for j, (k, name) in enumerate(legend):
        color = COLORS.get(k, "#1565c0")
        parts.append(f'<rect x="{PAD + j * 130}" y="6" width="10" height="10" fill="{color}"/>'
                     f'<text x="{PAD + j * 130 + 14}" y="15" font-size="11">{name}</text>')
    parts.append("</svg>")
    return "".join(parts)
