// Renders the add-in's icons (assets/icon-*.png) from one SVG drawing: a sun rising over
// mountains on a dawn-coloured tile; for the unified manifest (manifest.json) also the 192 px
// colour icon and the 32 px outline icon (white lines on transparency, as Microsoft 365 asks).
// Run it after changing the drawing: npm run icons
import sharp from "sharp";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const SIZES = [16, 32, 64, 80, 128];
const assets = join(import.meta.dirname, "..", "assets");

// Drawn on a 64-unit grid; small sizes drop the ray detail so the shape stays legible.
function drawing(detailed: boolean): string {
  const rays = detailed
    ? `<g stroke="#FFF4D6" stroke-width="2.4" stroke-linecap="round">
         <line x1="32" y1="9" x2="32" y2="13.5"/>
         <line x1="17" y1="15.5" x2="20" y2="18.8"/>
         <line x1="47" y1="15.5" x2="44" y2="18.8"/>
         <line x1="10.5" y1="29" x2="15" y2="29.6"/>
         <line x1="53.5" y1="29" x2="49" y2="29.6"/>
       </g>`
    : "";
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#4F52B2"/>
      <stop offset="0.55" stop-color="#B4589E"/>
      <stop offset="1" stop-color="#F28C5B"/>
    </linearGradient>
    <radialGradient id="sun" cx="0.5" cy="0.5" r="0.5">
      <stop offset="0" stop-color="#FFFBEA"/>
      <stop offset="1" stop-color="#FFD36B"/>
    </radialGradient>
    <clipPath id="tile"><rect width="64" height="64" rx="14"/></clipPath>
  </defs>
  <g clip-path="url(#tile)">
    <rect width="64" height="64" fill="url(#sky)"/>
    ${rays}
    <circle cx="32" cy="33" r="${detailed ? 11 : 13}" fill="url(#sun)"/>
    <path d="M-2 64 L-2 46 L14 32 L25 42 L36 27 L52 42 L66 34 L66 64 Z" fill="#2B2F6B"/>
    <path d="M36 27 L31.5 33 L35 32 L38 35 L41 31.5 Z" fill="#E8EAFF"/>
    <path d="M-2 64 L-2 54 L18 47 L34 53 L50 46 L66 51 L66 64 Z" fill="#1B1E47"/>
  </g>
</svg>`;
}

// The same sun and mountains as white lines, for the outline icon.
const OUTLINE = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
  <g fill="none" stroke="#FFFFFF" stroke-width="2" stroke-linejoin="round" stroke-linecap="round">
    <circle cx="16" cy="11" r="5"/>
    <path d="M3 28 L11 17 L16 23 L21 16 L29 28 Z"/>
  </g>
</svg>`;

async function render(svg: string, size: number, grid: number): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: Math.ceil((72 * size) / grid) * 4 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();
}

mkdirSync(assets, { recursive: true });
writeFileSync(join(assets, "logo.svg"), drawing(true));
for (const size of SIZES) {
  writeFileSync(join(assets, `icon-${size}.png`), await render(drawing(size >= 32), size, 64));
  console.log(`assets/icon-${size}.png`);
}
writeFileSync(join(assets, "icon-color-192.png"), await render(drawing(true), 192, 64));
console.log("assets/icon-color-192.png");
writeFileSync(join(assets, "icon-outline-32.png"), await render(OUTLINE, 32, 32));
console.log("assets/icon-outline-32.png");
