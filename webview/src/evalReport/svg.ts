/** SVG built with DOM APIs (attributes, text nodes): nothing the CSP blocks, no markup from strings. */
const namespace = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS(namespace, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

/** A tooltip for an SVG shape. */
export function svgTitle(text: string): SVGTitleElement {
  return svg('title', {}, text);
}

/** The interval bar of a table cell: the metric's range as a track, the interval as a bar, the mean as a tick. */
export function intervalBar(low: number, mean: number, high: number, width = 84, height = 10): SVGSVGElement {
  const x = (place: number) => (Math.min(1, Math.max(0, place)) * (width - 2) + 1).toFixed(1);
  return svg(
    'svg',
    { class: 'interval-bar', width, height, viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true' },
    svg('rect', { class: 'track', x: 0, y: height / 2 - 1, width, height: 2 }),
    svg('rect', { class: 'range', x: x(low), y: 2, width: Math.max(1, Number(x(high)) - Number(x(low))).toFixed(1), height: height - 4, rx: 1 }),
    svg('rect', { class: 'mean', x: Number(x(mean)) - 1, y: 0, width: 2, height }),
  );
}
