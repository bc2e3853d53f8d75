import { html, type SafeHtml } from '../html.js';

/*
 * The TOTP QR code arrives as SVG markup from core (the `qrcode` library). Markup is never passed through: the SVG is
 * matched against the exact shape that library emits — one <svg> with a numeric viewBox, a background <path> and a
 * modules <path>, colours as #rrggbb, path data made only of the commands and digits it uses — and rebuilt by the
 * `html` tag from the captured values. Anything else (an attribute, an element, an entity, a script, a style, a
 * `javascript:` or `href` anywhere) fails the match, and the page shows the secret for manual entry instead.
 *
 * Why that is safe: no byte of the input reaches the page except numbers, `#` colours and path data whose alphabet
 * (`MmHhVvZz`, digits, `.`, space, `-`) cannot open a tag, close an attribute or name a URL; the rebuilt element has
 * no event handler, link or style; and the CSP (no inline script) would block a script even if one slipped through.
 * Wrapping the SVG in `<img src="data:…">` was considered (images never run scripts), but the web preset's `img-src
 * 'self'` does not allow `data:` URLs and loosening the CSP for one image is the wrong trade.
 */

const COLOUR = '#[0-9a-fA-F]{6}';
const PATH_DATA = '[MmHhVvZz0-9. -]{1,65536}';
const QR_SVG = new RegExp(
  `^<svg xmlns="http://www\\.w3\\.org/2000/svg" viewBox="0 0 (\\d{1,4}) (\\d{1,4})" shape-rendering="crispEdges">` +
    `<path fill="(${COLOUR})" d="(${PATH_DATA})"/>` +
    `<path stroke="(${COLOUR})" d="(${PATH_DATA})"/>` +
    `</svg>\\s*$`,
);

/**
 * The QR code as markup rebuilt from the values of `svg` (see above), or `undefined` when `svg` is not exactly what
 * the QR library emits. Protects against markup injection through the one piece of server-generated markup a page
 * embeds.
 */
export function qrCodeMarkup(svg: string, label: string): SafeHtml | undefined {
  const match = QR_SVG.exec(svg);
  if (match === null) return undefined;
  const [, width = '', height = '', background = '', backgroundPath = '', foreground = '', modules = ''] = match;
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${`0 0 ${width} ${height}`}" shape-rendering="crispEdges" role="img" aria-label="${label}"><path fill="${background}" d="${backgroundPath}"/><path stroke="${foreground}" d="${modules}"/></svg>`;
}
