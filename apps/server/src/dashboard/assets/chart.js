// Time-series chart in plain SVG: lines with a soft fill, grid, time axis and a hover read-out.
import { useEffect, useRef, useState } from 'preact/hooks';

import { html } from './ui.js';

const clock = (ms, seconds) =>
  new Date(ms).toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
  });

const PAD = { top: 10, right: 12, bottom: 22, left: 44 };

function niceMax(value) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value) ?? 10;
  return step * magnitude;
}

function useWidth() {
  const ref = useRef(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/** `points`: [{at, [series.key]: number}], oldest first. `format` labels the y axis and the read-out. */
export function Chart({ points, series, height = 170, format = String, title, testid }) {
  const [ref, width] = useWidth();
  const [hover, setHover] = useState(null);
  const plotW = Math.max(width - PAD.left - PAD.right, 10);
  const plotH = height - PAD.top - PAD.bottom;
  const from = points.length ? points[0].at : Date.now() - 3_600_000;
  const to = points.length ? points[points.length - 1].at : Date.now();
  const span = Math.max(to - from, 1);
  const max = niceMax(Math.max(0, ...points.flatMap((p) => series.map((s) => p[s.key] ?? 0))));
  const x = (at) => PAD.left + ((at - from) / span) * plotW;
  const y = (v) => PAD.top + plotH - ((v ?? 0) / max) * plotH;
  const path = (key) => points.map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(p[key]).toFixed(1)}`).join('');
  const ticks = [0, 0.5, 1].map((f) => f * max);
  const timeTicks = points.length > 1 ? [0, 0.25, 0.5, 0.75, 1].map((f) => from + f * span) : [];

  const onMove = (e) => {
    if (!points.length) return;
    const box = e.currentTarget.getBoundingClientRect();
    const at = from + ((e.clientX - box.left - PAD.left) / plotW) * span;
    let best = 0;
    for (let i = 1; i < points.length; i++) if (Math.abs(points[i].at - at) < Math.abs(points[best].at - at)) best = i;
    setHover(best);
  };
  const hovered = hover !== null ? points[hover] : null;

  return html`
    <div class="chart" ref=${ref} data-testid=${testid}>
      ${
        (title || series.length > 1) &&
        html`<div class="chart-title"><span>${title ?? ''}</span>
        <span class="legend">${series.map((s) => html`<span><i style=${`background:${s.color}`}></i>${s.label}</span>`)}</span></div>`
      }
      ${
        width > 0 &&
        html`<svg width=${width} height=${height} onMouseMove=${onMove} onMouseLeave=${() => setHover(null)}>
        ${ticks.map(
          (t) => html`<g><line class="grid" x1=${PAD.left} x2=${PAD.left + plotW} y1=${y(t)} y2=${y(t)} />
            <text class="axis" x=${PAD.left - 6} y=${y(t) + 4} text-anchor="end">${format(t)}</text></g>`,
        )}
        ${timeTicks.map(
          (t, i) => html`<text class="axis" x=${x(t)} y=${height - 6}
            text-anchor=${i === 0 ? 'start' : i === timeTicks.length - 1 ? 'end' : 'middle'}>${clock(t, span < 600_000)}</text>`,
        )}
        ${series.map(
          (s) => html`<g>
            ${points.length > 1 && html`<path d=${`${path(s.key)}L${x(to)},${y(0)}L${x(from)},${y(0)}Z`} fill=${s.color} opacity="0.08" />`}
            <path d=${path(s.key)} fill="none" stroke=${s.color} stroke-width="1.8" stroke-linejoin="round" />
          </g>`,
        )}
        ${hovered && html`<line class="cursor" x1=${x(hovered.at)} x2=${x(hovered.at)} y1=${PAD.top} y2=${PAD.top + plotH} />`}
        ${points.length === 0 && html`<text class="axis" x=${PAD.left + plotW / 2} y=${PAD.top + plotH / 2} text-anchor="middle">no samples yet</text>`}
      </svg>`
      }
      ${
        hovered &&
        html`<div class="readout" style=${`left:${Math.min(x(hovered.at) + 10, width - 150)}px`}>
          <b>${new Date(hovered.at).toLocaleTimeString('en-GB')}</b>
          ${series.map((s) => html`<div><i style=${`background:${s.color}`}></i>${s.label}<span>${format(hovered[s.key] ?? 0)}</span></div>`)}
        </div>`
      }
    </div>`;
}
